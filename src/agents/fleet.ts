/**
 * The fleet of an installed manager: its state, the installed bundle's agent
 * section, the site's agent values, the agents its DB lists and the progress log
 * of the rollouts to that version. Opened only on a healthy, unlocked manager.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Knex } from 'knex';
import { failure, refusal, usageError } from '../errors.js';
import type { Emit } from '../events.js';
import { parseManifest } from '../bundle/validate.js';
import type { Manifest } from '../bundle/manifest.js';
import { openDatabase, type DbValues } from '../drivers/db/connect.js';
import { nativeBinding } from '../install/context.js';
import { readSiteValues } from '../install/index.js';
import { findInterrupted } from '../install/interrupted.js';
import { recoverKept } from '../install/kept.js';
import { layout, type Layout } from '../install/layout.js';
import { lockHeld, lockOwnerAlive, readLock } from '../install/lock.js';
import { readState } from '../install/state.js';
import type { PolicyOverrides } from './policy.js';
import type { WavePreview } from './preview.js';
import { readProgress, type RolloutProgress } from './progress.js';
import { agentSettings, listAgents, type AgentSettings } from './registry.js';
import type { AgentOutcome, AgentRecord, Rollout } from './types.js';

export interface AgentsRequest {
  root: string;
  dryRun?: boolean;
  emit?: Emit;
  signal?: AbortSignal;
  /** first retry delay (tests shorten it) */
  backoffMs?: number;
  /** first HTTP health poll (tests shorten it) */
  pollMs?: number;
  /** command-line flags over the bundle's policy, for this run only */
  overrides?: PolicyOverrides;
  /** only agents of these groups / not of these groups (the agents table's `group` column) */
  only?: string[];
  except?: string[];
}

export interface AgentsResult {
  outcome: 'done' | 'stopped' | 'paused' | 'aborted' | 'nothing-to-do' | 'no-agents' | 'dry-run';
  product: string;
  /** the agent version of the installed bundle */
  target: string | null;
  bundle: string | null;
  rollout?: Rollout;
  /** --dry-run: the waves that would run, agent ids */
  waves?: WavePreview[];
  /** agents left out: in a held group (agents.hold_groups) or not selected by --only/--except */
  held?: number;
  unselected?: number;
  message: string;
}

export interface Fleet {
  L: Layout;
  product: string;
  version: string;
  bundle: string;
  manifest: Manifest;
  values: AgentSettings;
  knex: Knex;
  table: string;
  agents: AgentRecord[];
  progress?: RolloutProgress;
  /** upgraded as the progress log says, not yet in the DB (its batch was lost to a kill): the next rollout writes them */
  unrecorded: AgentOutcome[];
}


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
  const manifest = parseManifest(await readFile(path.join(L.bundle(hop.bundle), 'bundle.json')).catch(() => {
    throw failure('AGENTS_NO_BUNDLE', `The bundle ${hop.bundle} is no longer kept under ${L.bundlesDir}.`, 'Install it again (the same bundle is a no-op for the manager) or copy its agent package by hand.');
  }), hop.bundle);
  if (!manifest.agents) return { product: state.product, bundle: hop.bundle, none: true };
  const values = await readSiteValues(L.values(state.product));
  const agentValues = agentSettings(values);
  const table = agentValues.table;
  const knex = openDatabase((values.db ?? {}) as DbValues, { root: L.root, nativeBinding: nativeBinding() });
  try {
    const progress = await readProgress(L.agentsProgress(manifest.agents.version));
    // an agent the progress log saw upgraded counts as upgraded even if the DB update after it was lost
    const target = manifest.agents.version;
    const logged = (a: AgentRecord) => { const o = progress?.outcomes.get(a.id); return o?.status === 'upgraded' && o.address === a.address ? o : undefined; };
    const unrecorded: AgentOutcome[] = [];
    const agents = (await listAgents(knex, table)).map((a) => {
      const o = a.version === target ? undefined : logged(a);
      if (!o) return a;
      unrecorded.push(o);
      return { ...a, version: target };
    });
    return { L, product: state.product, version: state.version, bundle: hop.bundle, manifest, values: agentValues, knex, table, agents, progress, unrecorded };
  } catch (e) {
    await knex.destroy();
    throw e;
  }
}

