/** `uphop resume`: finish an interrupted install from its journal. */
import path from 'node:path';
import { refusal, usageError } from '../errors.js';
import { silent, type Emit } from '../events.js';
import { findInterrupted } from './interrupted.js';
import { Journal } from './journal.js';
import { layout } from './layout.js';
import { acquireLock, releaseLock } from './lock.js';
import { sweepLeftovers } from './leftovers.js';
import { reopen } from './reopen.js';
import { finish, rolledBackError, runInstallSteps } from './run.js';
import type { InstallResult } from './result.js';
import { recordSteps, type StepReport } from './step-report.js';
import { startAll } from './steps/services.js';

export async function resumeInstall(req: { root: string; emit?: Emit; notify?: string }): Promise<InstallResult> {
  const t0 = Date.now();
  const L = layout(path.resolve(req.root));
  const steps: StepReport[] = [];
  const emit = recordSteps(req.emit ?? silent, steps);
  const pending = await findInterrupted(L);
  if (!pending) throw usageError('NOTHING_TO_RESUME', `No interrupted install under ${L.root}.`, 'uphop status shows the state of the manager.');
  if (pending.undoing) throw refusal('ROLLBACK_IN_PROGRESS', `A rollback of ${pending.id} began and did not finish.`, `Finish it with "uphop rollback${L.root === '/' ? '' : ` --root ${L.root}`}".`);
  const { ctx, notifier } = await reopen(L, pending.id, pending, emit, req.notify);
  try {
    await acquireLock(L.lock, pending.id, emit);
    await sweepLeftovers(L);
    emit({ type: 'resume-plan', bundle: pending.id, product: ctx.manifest.product, from: ctx.fromVersion, to: ctx.manifest.to, after: pending.begun.at(-1) });
    emit({ type: 'log', level: 'info', message: `resuming ${pending.id} after "${pending.begun.at(-1)}"` });
    // the new services may run without their pidfiles (lost in the crash): start adopts or replaces them
    if (pending.ended.has('start services')) {
      await startAll(ctx, 'new').catch(async (e) => {
        await releaseLock(L.lock); // still interrupted, as before: resume or rollback again
        throw e;
      });
    }
    const journal = await Journal.open(pending.file);
    const r = await runInstallSteps(ctx, journal, pending.ended);
    await finish(ctx, r, notifier);
    if (r.outcome === 'rolled-back') throw rolledBackError(ctx, r);
    const m = ctx.manifest;
    return {
      outcome: 'installed',
      bundle: pending.id,
      product: m.product,
      from: ctx.fromVersion,
      to: m.to,
      ms: Date.now() - t0,
      steps,
      configs: ctx.configs,
      message: `${m.product} ${ctx.fromVersion} -> ${m.to} installed and healthy (resumed).`,
    };
  } finally {
    await ctx.close();
  }
}
