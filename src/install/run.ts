/**
 * The part install, resume and rollback share: hold the lock, run (or undo) the
 * journaled steps (whose commit writes the outcome to the history, commit.ts),
 * then release the lock and tell.
 */
import { failure, type UphopError } from '../errors.js';
import type { InstallContext } from './context.js';
import { applySteps, undoSteps, type EngineResult } from './engine.js';
import type { Journal } from './journal.js';
import { releaseLock } from './lock.js';
import type { Notifier } from './notify.js';
import { INSTALL_STEPS } from './steps/index.js';

export type { StepReport } from './step-report.js';

/** after the commit (the history is already in state.json, see commit.ts): unlock and tell */
export async function finish(ctx: InstallContext, r: EngineResult, notifier: Notifier): Promise<void> {
  await releaseLock(ctx.L.lock);
  await ctx.close();
  if (r.outcome === 'done') notifier.send('succeeded', `${ctx.manifest.product} is now ${ctx.manifest.to}`);
  else notifier.send('rolled-back', `failed at "${r.failedStep}" (${r.error?.message}); back on ${ctx.fromVersion}`, { step: r.failedStep });
  await notifier.flush();
}

export function rolledBackError(ctx: InstallContext, r: EngineResult): UphopError {
  const back = ctx.fromVersion === 'none' ? 'the manager is back to nothing installed' : `${ctx.manifest.product} ${ctx.fromVersion} is running again and healthy`;
  return failure(
    r.error?.code ?? 'INSTALL_FAILED',
    `The install failed at step "${r.failedStep}": ${r.error?.message.replace(/\.$/, '')}; it was rolled back and ${back}.`,
    r.error?.hint ?? 'Fix the cause and run the install again.',
  );
}

export async function runInstallSteps(ctx: InstallContext, journal: Journal, ended: Set<string>): Promise<EngineResult> {
  try {
    return await applySteps(INSTALL_STEPS, ctx, journal, ended);
  } catch (e) {
    await releaseInterrupted(ctx);
    throw e;
  } finally {
    await journal.close();
  }
}

export async function undoInstallSteps(ctx: InstallContext, journal: Journal, begun: string[], undone: Set<string>): Promise<void> {
  try {
    await undoSteps(
      INSTALL_STEPS.filter((s) => begun.includes(s.name) && !undone.has(s.name)),
      ctx,
      journal,
    );
  } catch (e) {
    await releaseInterrupted(ctx);
    throw e;
  } finally {
    await journal.close();
  }
}

/**
 * Stopped on purpose (--no-rollback) or by a failed undo: the journal now says
 * "interrupted" and blocks other installs, so the lock is released rather than left
 * for resume/rollback to take over as if the installer had crashed.
 */
async function releaseInterrupted(ctx: InstallContext) {
  await releaseLock(ctx.L.lock).catch(() => undefined);
}
