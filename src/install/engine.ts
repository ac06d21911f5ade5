/**
 * Runs install steps in order with a journal: begin/end records are fsync'd
 * around each step, so a crash leaves a record of where it stopped. On failure the
 * begun steps are undone in reverse (unless --no-rollback), which returns the
 * manager to the old version; `resume` and `rollback` re-enter here from a journal.
 */
import { failure, isUphopError, messageOf, UphopError } from '../errors.js';
import { commitRollback } from './commit.js';
import type { InstallContext } from './context.js';
import { crashPoint } from './crash-point.js';
import type { Journal } from './journal.js';
import type { InstallStep } from './step.js';

export interface EngineResult {
  outcome: 'done' | 'rolled-back';
  failedStep?: string;
  error?: UphopError;
}

export async function applySteps(steps: InstallStep[], ctx: InstallContext, journal: Journal, ended: Set<string>): Promise<EngineResult> {
  const begun: InstallStep[] = steps.filter((s) => ended.has(s.name));
  for (const step of steps) {
    if (ended.has(step.name)) continue;
    const t = Date.now();
    ctx.emit({ type: 'step', step: step.name, status: 'begin' });
    await journal.write({ step: step.name, status: 'begin' });
    begun.push(step);
    try {
      crashPoint(step.name);
      const detail = await step.apply(ctx);
      await journal.write({ step: step.name, status: 'end' });
      ctx.emit({ type: 'step', step: step.name, status: 'end', ms: Date.now() - t, detail: detail || undefined });
    } catch (e) {
      const err = asUphopError(e, step.name, ctx);
      await journal.write({ step: step.name, status: 'failed', error: err.message });
      ctx.emit({ type: 'step', step: step.name, status: 'fail', ms: Date.now() - t, detail: err.message });
      if (ctx.opts.noRollback) {
        throw new UphopError(err.code, `${err.message} (step "${step.name}"; not rolled back: --no-rollback)`, {
          exitCode: 1,
          hint: `Fix the cause, then run "uphop resume${rootFlag(ctx)}" to finish, or "uphop rollback${rootFlag(ctx)}" to return to ${ctx.fromVersion}.`,
        });
      }
      await undoSteps(begun, ctx, journal, err);
      return { outcome: 'rolled-back', failedStep: step.name, error: err };
    }
  }
  // the install committed in "record version" (commit.ts); this record only closes the journal
  await journal.write({ step: 'install', status: 'done' });
  crashPoint('done');
  return { outcome: 'done' };
}

/**
 * Undo the given steps in reverse, then commit the rollback (state.json back to the
 * version before, with the history record) before the journal's final record. An
 * undo that fails stops here with a clear way out.
 */
export async function undoSteps(begun: InstallStep[], ctx: InstallContext, journal: Journal, cause?: UphopError): Promise<void> {
  for (const step of [...begun].reverse()) {
    if (!step.undo) continue;
    const t = Date.now();
    await journal.write({ step: step.name, status: 'undo-begin' });
    crashPoint(`undo ${step.name}`);
    try {
      const detail = await step.undo(ctx);
      await journal.write({ step: step.name, status: 'undo-end' });
      ctx.emit({ type: 'step', step: step.name, status: 'undo', ms: Date.now() - t, detail: detail || undefined });
    } catch (e) {
      const err = asUphopError(e, step.name, ctx);
      await journal.write({ step: step.name, status: 'failed', error: `undo: ${err.message}` });
      throw failure('ROLLBACK_FAILED', `Rolling back step "${step.name}" failed: ${err.message}`, `Fix the cause, then run "uphop rollback${rootFlag(ctx)}" again; the journal is in ${journal.file}.`);
    }
  }
  await commitRollback(ctx, cause);
  crashPoint('rolled back');
  await journal.write({ step: 'install', status: 'rolled-back' });
}

const rootFlag = (ctx: InstallContext) => (ctx.root === '/' ? '' : ` --root ${ctx.root}`);

function asUphopError(e: unknown, step: string, ctx: InstallContext): UphopError {
  if (isUphopError(e)) return e;
  return failure('STEP_FAILED', `Step "${step}" failed: ${ctx.scrub(messageOf(e))}.`, 'Rerun with --verbose for detail.', e);
}
