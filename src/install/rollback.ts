/**
 * `uphop rollback`: undo an interrupted install from its journal; with nothing
 * interrupted, undo the last completed hop while its bundle and backups are kept.
 */
import path from 'node:path';
import { existsSync } from 'node:fs';
import { usageError } from '../errors.js';
import { silent, type Emit } from '../events.js';
import { findInterrupted } from './interrupted.js';
import { Journal, readJournal, summarizeJournal } from './journal.js';
import { layout, type Layout } from './layout.js';
import { recoverKept } from './kept.js';
import { acquireLock } from './lock.js';
import { reopen } from './reopen.js';
import { finish, undoInstallSteps } from './run.js';
import { readState } from './state.js';
import { recordSteps, type StepReport } from './step-report.js';

export interface RollbackResult {
  outcome: 'rolled-back';
  bundle: string;
  product: string;
  from: string;
  to: string;
  ms: number;
  steps: StepReport[];
  message: string;
}

export async function rollback(req: { root: string; emit?: Emit; notify?: string }): Promise<RollbackResult> {
  const t0 = Date.now();
  const L = layout(path.resolve(req.root));
  const steps: StepReport[] = [];
  const emit = recordSteps(req.emit ?? silent, steps);
  const target = (await findInterrupted(L)) ?? (await lastCompleted(L));
  const { ctx, notifier } = await reopen(L, target.id, target, emit, req.notify);
  try {
    await acquireLock(L.lock, target.id, emit);
    const journal = await Journal.open(target.file);
    await undoInstallSteps(ctx, journal, target.begun, target.undone);
    await finish(ctx, { outcome: 'rolled-back', failedStep: 'rollback requested' }, new Date(t0), notifier);
    const m = ctx.manifest;
    const back = ctx.fromVersion === 'none' ? 'nothing installed' : `${m.product} ${ctx.fromVersion}, running and healthy`;
    return { outcome: 'rolled-back', bundle: target.id, product: m.product, from: m.to, to: ctx.fromVersion, ms: Date.now() - t0, steps, message: `rolled back ${target.id}: the manager is on ${back}.` };
  } finally {
    await ctx.close();
  }
}

async function lastCompleted(L: Layout) {
  const last = (await readState(L.state))?.history.filter((h) => h.result === 'succeeded').at(-1);
  const file = last && L.journal(last.bundle);
  if (last) await recoverKept(L, last.bundle);
  if (!last || !file || !existsSync(file) || !existsSync(L.bundle(last.bundle))) {
    throw usageError('NOTHING_TO_ROLL_BACK', `There is no interrupted install and no kept hop to roll back under ${L.root}.`, 'uphop status and uphop history show the state of the manager.');
  }
  const s = summarizeJournal(await readJournal(file));
  return { ...s, id: last.bundle, file, undone: new Set<string>() };
}
