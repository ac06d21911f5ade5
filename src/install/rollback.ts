/**
 * `uphop rollback`: undo an interrupted install from its journal; with nothing
 * interrupted, undo the last completed hop while its bundle and backups are kept,
 * and only when state.json's version and its last history record agree that this
 * hop is what was installed. A fresh install is rolled back only with --force: it
 * leaves nothing installed.
 */
import path from 'node:path';
import { existsSync } from 'node:fs';
import { refusal, usageError } from '../errors.js';
import { silent, type Emit } from '../events.js';
import type { InstallContext } from './context.js';
import { findInterrupted } from './interrupted.js';
import { Journal, readJournal, summarizeJournal } from './journal.js';
import { layout, type Layout } from './layout.js';
import { recoverKept } from './kept.js';
import { acquireLock } from './lock.js';
import { sweepLeftovers } from './leftovers.js';
import { reopen } from './reopen.js';
import { finish, undoInstallSteps } from './run.js';
import { readState, type HopRecord, type InstalledState } from './state.js';
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

export interface RollbackRequest {
  root: string;
  emit?: Emit;
  notify?: string;
  /** roll back a completed fresh install too (to nothing installed) */
  force?: boolean;
}

export async function rollback(req: RollbackRequest): Promise<RollbackResult> {
  const t0 = Date.now();
  const L = layout(path.resolve(req.root));
  const steps: StepReport[] = [];
  const emit = recordSteps(req.emit ?? silent, steps);
  const interrupted = await findInterrupted(L);
  const completed = interrupted ? undefined : await lastCompleted(L);
  const target = interrupted ?? completed!.journal;
  const { ctx, notifier } = await reopen(L, target.id, target, emit, req.notify);
  try {
    if (completed) checkCompleted(ctx, completed.state, completed.hop, !!req.force);
    emit({ type: 'rollback-plan', bundle: target.id, product: ctx.manifest.product, from: ctx.manifest.to, to: ctx.fromVersion });
    await acquireLock(L.lock, target.id, emit);
    await sweepLeftovers(L);
    const journal = await Journal.open(target.file);
    await undoInstallSteps(ctx, journal, target.begun, target.undone);
    await finish(ctx, { outcome: 'rolled-back', failedStep: 'rollback requested' }, notifier);
    const m = ctx.manifest;
    const back = ctx.fromVersion === 'none' ? 'nothing installed' : `${m.product} ${ctx.fromVersion}, running and healthy`;
    return {
      outcome: 'rolled-back',
      bundle: target.id,
      product: m.product,
      from: m.to,
      to: ctx.fromVersion,
      ms: Date.now() - t0,
      steps,
      message: `rolled back ${target.id}: the manager is on ${back}.`,
    };
  } finally {
    await ctx.close();
  }
}

const rootFlag = (L: Layout) => (L.root === '/' ? '' : ` --root ${L.root}`);

/** the hop state.json and its history agree was installed last, with its journal and kept copy */
async function lastCompleted(L: Layout) {
  const state = await readState(L.state);
  const hop = state?.history.at(-1);
  const none = (why: string) => usageError('NOTHING_TO_ROLL_BACK', `There is no interrupted install under ${L.root} and ${why}.`, 'uphop status and uphop history show the state of the manager.');
  if (!state) throw none('nothing is installed');
  if (!hop) throw none(`the history of ${state.product} ${state.version} is empty`);
  if (hop.result !== 'succeeded') throw none(`the last hop in the history (${hop.from} -> ${hop.to}) was already ${hop.result.replace('-', ' ')}; uphop rolls back one hop, right after it`);
  if (hop.to !== state.version) {
    throw refusal(
      'HISTORY_MISMATCH',
      `${state.product} ${state.version} is installed but the last hop in the history is ${hop.from} -> ${hop.to}, so uphop cannot tell which hop to undo; nothing was changed.`,
      `Check ${L.state} against uphop history; install the next hop to move on, or restore from ${path.dirname(L.backups('x'))}.`,
    );
  }
  const file = L.journal(hop.bundle);
  await recoverKept(L, hop.bundle);
  if (!existsSync(file) || !existsSync(L.bundle(hop.bundle))) throw none(`the copy of ${hop.bundle} needed to undo it is no longer kept`);
  const s = summarizeJournal(await readJournal(file));
  if (hop.attempt && s.beganAt !== hop.attempt) {
    throw refusal(
      'HISTORY_MISMATCH',
      `The journal of ${hop.bundle} is not the one of its last completed install (${hop.attempt}); nothing was changed.`,
      `Look at ${file}; uphop rolls back only the install the history records.`,
    );
  }
  return { state, hop, journal: { ...s, id: hop.bundle, file } };
}

/**
 * The kept bundle must be the hop state.json records: its `to` installed, its `from`
 * what was there before. Anything else would run the downs of a version this
 * manager was not upgraded to in that hop.
 */
function checkCompleted(ctx: InstallContext, state: InstalledState, hop: HopRecord, force: boolean) {
  const m = ctx.manifest;
  if (m.to !== state.version || ctx.fromVersion !== hop.from) {
    throw refusal(
      'HISTORY_MISMATCH',
      `The kept bundle ${ctx.id} goes ${ctx.fromVersion} -> ${m.to}, but the history records ${hop.from} -> ${hop.to} with ${state.version} installed; nothing was changed.`,
      'uphop history shows the hops; uphop rolls back only the hop it installed last.',
    );
  }
  if (ctx.fromVersion !== 'none' || force) return;
  const services = Object.keys(state.components).filter((c) => state.components[c].service);
  const rel = (p: string) => path.relative(ctx.root, p);
  throw refusal(
    'ROLLBACK_FRESH_INSTALL',
    `Rolling back ${ctx.id} would leave nothing installed: it stops ${services.join(', ') || 'the services'}, runs the down migrations of ${m.to} (their tables and rows are deleted), and deletes ${[rel(ctx.L.values(m.product)), ...m.configs.map((c) => c.dest), ...m.components.map((c) => `opt/${m.product}/${c.name}/current`), rel(ctx.L.state)].join(', ')}.`,
    `If that is what you want, run "uphop rollback${rootFlag(ctx.L)} --force".`,
  );
}
