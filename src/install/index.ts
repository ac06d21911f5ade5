/**
 * `uphop install <bundle>`: starting marker -> verify -> versions -> preflight ->
 * lock -> the journaled steps (committed with the history, commit.ts) -> unlock. Returns what happened; throws a
 * UphopError (exit 1 after an automatic rollback, 2 for bad input, 3 refusals).
 */
import path from 'node:path';
import { tmpdir } from 'node:os';
import { diskFullAtCopy, isDiskFull } from './disk-full.js';
import { rm } from 'node:fs/promises';
import { isUphopError, messageOf, refusal, type UphopError } from '../errors.js';
import { silent, type Emit } from '../events.js';
import { acquireBundle } from './acquire.js';
import { createContext, type ConfigOutcome, type InstallContext, type InstallOptions } from './context.js';
import { findInterrupted } from './interrupted.js';
import { Journal } from './journal.js';
import { layout, type Layout } from './layout.js';
import { acquireLock, lockHeld, lockOwnerAlive, readLock } from './lock.js';
import { createNotifier } from './notify.js';
import { preflight } from './preflight.js';
import { dryRunPlan } from './dry-run.js';
import { finish, rolledBackError, runInstallSteps } from './run.js';
import { loadValues } from './site-values.js';
import { recordSteps, timedStep, type StepReport } from './step-report.js';
import type { InstallResult } from './result.js';
import { readState } from './state.js';
import { checkVersions } from './versions.js';
import { crashPoint } from './crash-point.js';
import { sweepLeftovers } from './leftovers.js';
import { clearStarting, markStarting } from './starting.js';
import { resumeInstall } from './resume.js';
import type { AgentsResult } from '../agents/api.js';

export type { InstallResult } from './result.js';

export type InstallRequest = InstallOptions & { bundle: string; emit?: Emit };

export async function install(req: InstallRequest): Promise<InstallResult> {
  const t0 = Date.now();
  const root = path.resolve(req.root);
  const L = layout(root);
  const steps: StepReport[] = [];
  const emit = recordSteps(req.emit ?? silent, steps);
  // before the bundle is even unpacked: a running install's kept copy must not be touched
  await refuseIfLocked(L);
  // the first write: a kill from here until the journal begins is "interrupted before it changed anything"
  const unmark = req.dryRun ? undefined : await markStarting(L, path.resolve(req.bundle), journalOptions(req, root));
  try {
    if (unmark) await sweepAndSay(L, emit);
    crashPoint('starting');
    return await installMarked(req, t0, root, L, steps, emit);
  } finally {
    await unmark?.();
  }
}

async function sweepAndSay(L: Layout, emit: Emit) {
  const removed = await sweepLeftovers(L);
  if (removed?.length) emit({ type: 'log', level: 'info', message: `removed ${removed.length} temporary file(s) left by an interrupted run` });
}

async function installMarked(req: InstallRequest, t0: number, root: string, L: Layout, steps: StepReport[], emit: Emit): Promise<InstallResult> {
  const got = await acquireBundle(req.bundle, L, { trust: req.trust, allowUnsigned: req.allowUnsigned, emit, dryRun: req.dryRun }).catch(async (e) => {
    throw isDiskFull(e) ? await diskFullAtCopy(req.bundle, req.dryRun ? tmpdir() : L.bundlesDir, e) : e;
  });
  crashPoint('acquired');
  let began = false;
  const begin = async () => {
    began = true;
    await got.keep?.();
  };
  try {
    const m = got.manifest;
    const pending = await findInterrupted(L);
    if (pending && pending.id !== got.id) {
      throw refusal(
        'INSTALL_INTERRUPTED',
        `An install of ${pending.id} was interrupted at step "${pending.begun.at(-1)}".`,
        `Finish it with "uphop resume${rootFlag(root)}" or undo it with "uphop rollback${rootFlag(root)}" first.`,
      );
    }
    if (pending && !req.dryRun) {
      await begin();
      return await resumeInstall({ root, emit: req.emit, notify: req.notify });
    }
    const prev = await readState(L.state);
    const base = { bundle: got.id, product: m.product, from: prev?.version ?? 'none', to: m.to, steps, configs: [] as ConfigOutcome[] };
    const notifier = createNotifier(req.notify, { bundle: got.id, from: base.from, to: m.to }, emit);
    let ctx: InstallContext | undefined;
    try {
      const verdict = checkVersions(m, prev, root);
      if (verdict.action === 'nothing-to-do') return { ...base, outcome: 'nothing-to-do', ms: Date.now() - t0, message: `${verdict.reason}: nothing to do.` };
      const values = await loadValues(req, L, m.product, prev);
      const c = (ctx = createContext({ opts: { ...req, root }, L, emit: notifier.emit, manifest: m, bundleDir: got.dir, id: got.id, prev, values }));
      await timedStep(c, 'preflight', () => preflight(c));
      if (req.dryRun) return { ...base, outcome: 'dry-run', ms: Date.now() - t0, plan: await dryRunPlan(ctx), message: `dry run: nothing was changed.` };
      await acquireLock(L.lock, got.id, emit);
      crashPoint('locked');
      await begin();
      const journal = await Journal.open(L.journal(got.id));
      c.attempt = await journal.write({ step: 'install', status: 'begin', options: journalOptions(req, root), prev: prev ?? null });
      // the journal takes over once it names a step: until then status must still say "interrupted before it changed anything"
      c.onFirstStep = () => clearStarting(L);
      notifier.send('started', `installing ${m.product} ${base.from} -> ${m.to}`);
      const r = await runInstallSteps(ctx, journal, new Set());
      await finish(ctx, r, notifier);
      if (r.outcome === 'rolled-back') throw rolledBackError(ctx, r);
      const agents = m.agents && req.agents !== false ? await rolloutAfterInstall(root, emit, notifier) : undefined;
      return { ...base, outcome: 'installed', ms: Date.now() - t0, configs: ctx.configs, agents, message: `${m.product} ${base.from} -> ${m.to} installed and healthy.` };
    } catch (e) {
      // refused or bad input before anything changed: a channel watching installs hears why
      if (!began && isUphopError(e) && e.exitCode !== 1) notifier.send('refused', e.message, { code: e.code });
      throw e;
    } finally {
      await ctx?.close();
      await notifier.flush(); // delivered before the CLI exits
    }
  } finally {
    if (got.temp) await rm(got.temp, { recursive: true, force: true });
    if (!began) await got.discard?.();
  }
}

/**
 * After unlock, as DESIGN.md orders it. The manager stays installed whatever
 * happens here: a rollout that cannot start or stops early is reported (and the
 * CLI exits 1), and `uphop agents rollout` continues it.
 */
async function rolloutAfterInstall(root: string, emit: Emit, notifier: ReturnType<typeof createNotifier>): Promise<AgentsResult> {
  const { rolloutAgents } = await import('../agents/index.js');
  const t = Date.now();
  emit({ type: 'step', step: 'agent rollout', status: 'begin' });
  let r: AgentsResult;
  try {
    r = await rolloutAgents({ root, emit });
  } catch (e) {
    const err = e as UphopError;
    r = { outcome: 'stopped', product: '', target: null, bundle: null, message: `The agent rollout could not start: ${messageOf(e)}${err.hint ? ` ${err.hint}` : ''}` };
  }
  emit({ type: 'step', step: 'agent rollout', status: r.outcome === 'stopped' ? 'fail' : 'end', ms: Date.now() - t, detail: r.message });
  // a channel hears of agents only when some were contacted
  if (r.outcome === 'done' || r.outcome === 'stopped') {
    notifier.send(r.outcome === 'stopped' ? 'agents-stopped' : 'agents', r.message);
    await notifier.flush();
  }
  return r;
}

async function refuseIfLocked(L: Layout) {
  const held = await readLock(L.lock);
  if (held && (await lockOwnerAlive(held))) throw lockHeld(L.lock, held);
}

const rootFlag = (root: string) => (root === '/' ? '' : ` --root ${root}`);

/** what resume needs to rebuild the same context; no secrets (values stay in their file) */
const journalOptions = (req: InstallRequest, root: string) => ({
  root,
  values: req.values && path.resolve(req.values),
  trust: req.trust && path.resolve(req.trust),
  allowUnsigned: !!req.allowUnsigned,
  noRollback: !!req.noRollback,
  notify: req.notify,
  ignorePreflight: req.ignorePreflight,
  stopTimeoutMs: req.stopTimeoutMs,
});
