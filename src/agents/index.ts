/**
 * `uphop agents rollout`: upgrade the agents the manager's DB lists to the agent
 * version of the installed bundle. Runs only against a healthy, unlocked
 * manager (right after an install, or again later to resume); the package is
 * served from the kept bundle copy over HTTP and each agent checks its sha256
 * from the signed manifest. Outcomes go to the DB and to a progress file.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import { failure, refusal, usageError } from '../errors.js';
import { silent, type Emit } from '../events.js';
import type { Manifest } from '../bundle/manifest.js';
import { openDatabase, type DbValues } from '../drivers/db/connect.js';
import { nativeBinding } from '../install/context.js';
import { readSiteValues } from '../install/site-values.js';
import { findInterrupted } from '../install/interrupted.js';
import { keptPolicy, recoverKept, verifyKept } from '../install/kept.js';
import { layout, type Layout } from '../install/layout.js';
import { acquireLock, lockHeld, lockOwnerAlive, readLock, releaseLock } from '../install/lock.js';
import { readState } from '../install/state.js';
import { resolvePolicy } from './policy.js';
import { waveIds, type WavePreview } from './preview.js';
import { readProgress, type RolloutProgress } from './progress.js';
import { agentSettings, listAgents, type AgentSettings } from './registry.js';
import { runFleetRollout } from './run.js';
import type { AgentOutcome, AgentRecord, Rollout } from './types.js';
import type { AgentsRequest, AgentsResult, Fleet } from './api.js';

export type { AgentsRequest, AgentsResult, Fleet } from './api.js';

/** the installed manager, its bundle's agent section and the fleet as the DB (and progress file) know it */
export async function openFleet(root: string): Promise<Fleet | { product: string; bundle: string | null; none: true }> {
  const L = layout(path.resolve(root));
  const state = await readState(L.state);
  if (!state) throw usageError('NOT_INSTALLED', `Nothing is installed under ${L.root}.`, 'Install the manager first (uphop install BUNDLE --root DIR --values FILE).');
  const pending = await findInterrupted(L);
  const held = await readLock(L.lock);
  if (pending || (held && (await lockOwnerAlive(held)))) {
    if (held && !pending) throw lockHeld(L.lock, held);
    throw refusal('INSTALL_INTERRUPTED', `An install of ${pending!.id} was interrupted, so the manager is not known to be healthy.`, 'Finish it with "uphop resume" or undo it with "uphop rollback", then roll out the agents.');
  }
  const hop = [...state.history].reverse().find((h) => h.result === 'succeeded' && h.to === state.version);
  if (!hop) throw failure('AGENTS_NO_BUNDLE', `No successful install of ${state.version} is recorded under ${L.root}.`, 'Install the version whose agents you want to roll out.');
  await recoverKept(L, hop.bundle);
  if (!existsSync(path.join(L.bundle(hop.bundle), 'bundle.json')))
    throw failure('AGENTS_NO_BUNDLE', `The bundle ${hop.bundle} is no longer kept under ${L.bundlesDir}.`, 'Install it again (the same bundle is a no-op for the manager) or copy its agent package by hand.');
  // the package agents get is served from the kept copy: re-hashed against its manifest first
  const { manifest } = await verifyKept(L, hop.bundle, { ...(await keptPolicy(L, hop.bundle)), emit: silent });
  if (!manifest.agents) return { product: state.product, bundle: hop.bundle, none: true };
  const values = await readSiteValues(L.values(state.product));
  const agentValues = agentSettings(values);
  const table = agentValues.table;
  const knex = openDatabase((values.db ?? {}) as DbValues, { root: L.root, nativeBinding: nativeBinding() });
  try {
    const progress = await readProgress(L.agentsProgress(manifest.agents.version));
    // an agent the progress file saw upgraded counts as upgraded even if the DB update after it was lost
    const agents = (await listAgents(knex, table)).map((a) =>
      progress?.outcomes[a.id]?.status === 'upgraded' && progress.outcomes[a.id].address === a.address ? { ...a, version: manifest.agents!.version } : a);
    return { L, product: state.product, version: state.version, bundle: hop.bundle, manifest, values: agentValues, knex, table, agents, progress };
  } catch (e) {
    await knex.destroy();
    throw e;
  }
}

export async function rolloutAgents(req: AgentsRequest): Promise<AgentsResult> {
  const emit = req.emit ?? silent;
  const fleet = await openFleet(req.root);
  if ('none' in fleet) return { outcome: 'no-agents', product: fleet.product, target: null, bundle: fleet.bundle, message: `${fleet.bundle} carries no agent package: nothing to roll out.` };
  const { L, manifest, knex } = fleet;
  const agents = manifest.agents!;
  const target = agents.version;
  const base = { product: fleet.product, target, bundle: fleet.bundle };
  try {
    const todo = fleet.agents.filter((a) => a.version !== target);
    if (!todo.length) return { ...base, outcome: 'nothing-to-do', message: `All ${fleet.agents.length} agent(s) run ${target}: nothing to do.` };
    const policy = resolvePolicy(agents.rollout, todo.length);
    if (req.dryRun) {
      const waves = waveIds(todo, policy);
      return { ...base, outcome: 'dry-run', waves, message: `dry run: ${todo.length} agent(s) would be upgraded to ${target} in ${waves.length} wave(s); nothing was changed.` };
    }
    // two rollouts at once would upgrade the same agents twice and fight over the progress file
    await acquireLock(L.agentsLock, fleet.bundle, emit, `rolling the agents out to ${target}`);
    try {
      return await runFleetRollout(fleet, policy, req, emit);
    } finally {
      await releaseLock(L.agentsLock);
    }
  } finally {
    await knex.destroy();
  }
}

export interface AgentsList {
  root: string;
  product: string;
  target: string | null;
  agents: (AgentRecord & { last?: Pick<AgentOutcome, 'status' | 'error' | 'attempts'> })[];
}

/** `uphop agents`: the fleet as the DB lists it, with the last rollout outcome of each agent */
export async function listFleet(req: { root: string }): Promise<AgentsList> {
  const fleet = await openFleet(req.root);
  if ('none' in fleet) return { root: path.resolve(req.root), product: fleet.product, target: null, agents: [] };
  try {
    const last = (id: string) => {
      const o = fleet.progress?.outcomes[id];
      return o && { status: o.status, error: o.error, attempts: o.attempts };
    };
    return { root: fleet.L.root, product: fleet.product, target: fleet.manifest.agents!.version, agents: fleet.agents.map((a) => ({ ...a, last: last(a.id) })) };
  } finally {
    await fleet.knex.destroy();
  }
}
