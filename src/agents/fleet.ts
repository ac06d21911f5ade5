/**
 * The fleet of an installed manager: its state, the installed bundle's agent
 * section, the site's agent values, the agents its DB lists and the progress log
 * of the rollouts to that version. Opened only on a healthy, unlocked manager.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { failure, refusal, usageError } from '../errors.js';
import { silent } from '../events.js';
import { openDatabase, type DbValues } from '../drivers/db/connect.js';
import { nativeBinding } from '../install/context.js';
import { readSiteValues } from '../install/site-values.js';
import { findInterrupted } from '../install/interrupted.js';
import { keptPolicy, recoverKept, verifyKept } from '../install/kept.js';
import { layout } from '../install/layout.js';
import { lockHeld, lockOwnerAlive, readLock } from '../install/lock.js';
import { readState } from '../install/state.js';
import type { Fleet } from './api.js';
import { readProgress } from './progress.js';
import { agentSettings, listAgents } from './registry.js';
import type { AgentOutcome, AgentRecord } from './types.js';

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
    throw refusal(
      'INSTALL_INTERRUPTED',
      `An install of ${pending!.id} was interrupted, so the manager is not known to be healthy.`,
      'Finish it with "uphop resume" or undo it with "uphop rollback", then roll out the agents.',
    );
  }
  const hop = [...state.history].reverse().find((h) => h.result === 'succeeded' && h.to === state.version);
  if (!hop) throw failure('AGENTS_NO_BUNDLE', `No successful install of ${state.version} is recorded under ${L.root}.`, 'Install the version whose agents you want to roll out.');
  await recoverKept(L, hop.bundle);
  if (!existsSync(path.join(L.bundle(hop.bundle), 'bundle.json')))
    throw failure(
      'AGENTS_NO_BUNDLE',
      `The bundle ${hop.bundle} is no longer kept under ${L.bundlesDir}.`,
      'Install it again (the same bundle is a no-op for the manager) or copy its agent package by hand.',
    );
  // the package agents get is served from the kept copy: re-hashed against its manifest first
  const { manifest } = await verifyKept(L, hop.bundle, { ...(await keptPolicy(L, hop.bundle)), emit: silent });
  if (!manifest.agents) return { product: state.product, bundle: hop.bundle, none: true };
  const values = await readSiteValues(L.values(state.product));
  const agentValues = agentSettings(values);
  const table = agentValues.table;
  const knex = openDatabase((values.db ?? {}) as DbValues, { root: L.root, nativeBinding: nativeBinding() });
  try {
    const progress = await readProgress(L.agentsProgress(manifest.agents.version));
    // an agent the progress log saw upgraded counts as upgraded even if the DB update after it was lost
    const target = manifest.agents.version;
    const logged = (a: AgentRecord) => {
      const o = progress?.outcomes.get(a.id);
      return o?.status === 'upgraded' && o.address === a.address ? o : undefined;
    };
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
