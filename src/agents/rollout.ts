/**
 * `uphop agents rollout | continue | abort`: the rollout to the installed bundle's
 * agent version, under the agents lock. A policy with `pause` stops after the
 * canary with the phase "paused" in the progress log; `continue` runs the rest
 * (no second canary), `abort` ends it (the next rollout starts with a canary again).
 */
import { refusal, usageError } from '../errors.js';
import { silent, type Emit } from '../events.js';
import { acquireLock, releaseLock } from '../install/lock.js';
import type { AgentsRequest, AgentsResult, Fleet } from './api.js';
import { openFleet } from './fleet.js';
import { resolvePolicy, withOverrides } from './policy.js';
import { waveIds } from './preview.js';
import { emptyProgress, ProgressLog } from './progress.js';
import { hasGroupColumn } from './registry.js';
import { runFleetRollout } from './run.js';
import { selectAgents } from './select.js';

type Mode = 'rollout' | 'continue' | 'abort';

/** opens the fleet, runs `body` on it with the database closed afterwards */
async function withFleet(req: AgentsRequest, body: (fleet: Fleet, base: Pick<AgentsResult, 'product' | 'target' | 'bundle'>) => Promise<AgentsResult>): Promise<AgentsResult> {
  const fleet = await openFleet(req.root);
  if ('none' in fleet) return { outcome: 'no-agents', product: fleet.product, target: null, bundle: fleet.bundle, message: `${fleet.bundle} carries no agent package: nothing to roll out.` };
  try {
    return await body(fleet, { product: fleet.product, target: fleet.manifest.agents!.version, bundle: fleet.bundle });
  } finally {
    await fleet.knex.destroy();
  }
}

/** under the agents lock: two rollouts at once would upgrade the same agents twice and interleave the log */
async function locked<T>(fleet: Fleet, emit: Emit, what: string, body: () => Promise<T>): Promise<T> {
  await acquireLock(fleet.L.agentsLock, fleet.bundle, emit, what);
  try {
    return await body();
  } finally {
    await releaseLock(fleet.L.agentsLock);
  }
}

const notPaused = (target: string) =>
  usageError('ROLLOUT_NOT_PAUSED', `No rollout to ${target} is paused.`, 'Run "uphop agents rollout"; "continue" and "abort" answer a rollout paused after its canary (rollout policy pause: true).');

async function run(req: AgentsRequest, mode: Mode): Promise<AgentsResult> {
  const emit = req.emit ?? silent;
  return withFleet(req, async (fleet, base) => {
    const target = base.target!;
    const phase = fleet.progress?.phase;
    if (mode !== 'rollout' && phase !== 'paused') throw notPaused(target);
    if (mode === 'rollout' && phase === 'paused' && !req.dryRun) {
      throw refusal(
        'ROLLOUT_PAUSED',
        `The rollout to ${target} is paused after its canary.`,
        'Check the canary agents, then run "uphop agents continue" to upgrade the rest, or "uphop agents abort" to end it.',
      );
    }
    if (mode === 'abort') {
      return locked(fleet, emit, `aborting the agent rollout to ${target}`, async () => {
        const log = await ProgressLog.open(fleet.L.agentsProgress(target), fleet.progress!);
        log.phase('aborted');
        await log.close();
        const left = fleet.agents.filter((a) => a.version !== target).length;
        return { ...base, outcome: 'aborted', message: `The paused rollout to ${target} is aborted: ${left} agent(s) stay where they are; "uphop agents rollout" starts again with a canary.` };
      });
    }
    const grouped = await hasGroupColumn(fleet.knex, fleet.table);
    const sel = selectAgents(fleet.agents, { only: req.only, except: req.except, hold: fleet.values.hold_groups }, grouped);
    const left = { held: sel.held, unselected: sel.unselected };
    const todo = sel.agents.filter((a) => a.version !== target);
    const policy = resolvePolicy(withOverrides(fleet.manifest.agents!.rollout, req.overrides ?? {}, todo.length), todo.length);
    if (!todo.length) return { ...base, ...left, outcome: 'nothing-to-do', message: `All ${sel.agents.length}${sel.held || sel.unselected ? ' selected' : ''} agent(s) run ${target}: nothing to do.` };
    if (req.dryRun) {
      // after a good canary (paused or continued) the rest runs without one
      const waves = waveIds(todo, phase === 'continued' || phase === 'paused' ? { ...policy, canary: 0 } : policy);
      return { ...base, ...left, outcome: 'dry-run', waves, message: `dry run: ${todo.length} agent(s) would be upgraded to ${target} in ${waves.length} wave(s); nothing was changed.` };
    }
    return locked(fleet, emit, `rolling the agents out to ${target}`, async () => {
      // what this run is about to change (its report names it even if the run fails)
      const from = [...new Set(todo.map((a) => a.version ?? 'unknown'))].sort();
      emit({ type: 'agents-plan', product: base.product, bundle: base.bundle, from, to: target, agents: todo.length });
      const progress = fleet.progress ?? emptyProgress(target, fleet.bundle);
      if (phase === 'aborted') progress.phase = undefined;
      const log = await ProgressLog.open(fleet.L.agentsProgress(target), progress);
      try {
        if (mode === 'continue') log.phase('continued');
        const canaryDone = progress.phase === 'continued';
        return { ...left, ...(await runFleetRollout(fleet, sel.agents, policy, log, { ...req, canaryDone }, emit)) };
      } finally {
        await log.close();
      }
    });
  });
}

export const rolloutAgents = (req: AgentsRequest) => run(req, 'rollout');
export const continueRollout = (req: AgentsRequest) => run(req, 'continue');
export const abortRollout = (req: AgentsRequest) => run(req, 'abort');
