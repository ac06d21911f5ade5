/** `uphop status` / `uphop history`: where the manager stands and what to run next. */
import path from 'node:path';
import { createServiceDriver, type ServiceDriverKind } from '../drivers/services/index.js';
import { findInterrupted } from './interrupted.js';
import { layout } from './layout.js';
import { lockOwnerAlive, readLock } from './lock.js';
import { readState, type HopRecord } from './state.js';
import { readValuesFile } from './values.js';
import { renderDeep } from '../spec/template.js';
import { serviceValues } from '../spec/values.js';

export interface StatusReport {
  root: string;
  state: 'not-installed' | 'installed' | 'installing' | 'interrupted';
  product?: string;
  version?: string;
  services: { name: string; status: string }[];
  interrupted?: { bundle: string; lastStep?: string; failed?: string; rollingBack: boolean };
  lock?: { pid: number; bundle: string; since: string };
  /** the registered agents against the installed bundle's agent version */
  agents?: { target: string; total: number; current: number; failed: number };
  next?: string;
}

export async function status(req: { root: string }): Promise<StatusReport> {
  const root = path.resolve(req.root);
  const L = layout(root);
  const rf = root === '/' ? '' : ` --root ${root}`;
  const state = await readState(L.state);
  const lock = await readLock(L.lock);
  const live = lock && (await lockOwnerAlive(lock));
  const pending = await findInterrupted(L);
  const services = state ? await serviceStatus(root, state) : [];
  const base = { root, product: state?.product, version: state?.version, services };
  if (live) return { ...base, state: 'installing', lock: { pid: lock.pid, bundle: lock.bundle, since: lock.since }, next: 'wait for the running install to finish' };
  if (pending) {
    return {
      ...base,
      state: 'interrupted',
      interrupted: { bundle: pending.id, lastStep: pending.begun.at(-1), failed: pending.failed?.error, rollingBack: pending.undoing },
      next: pending.undoing ? `uphop rollback${rf}` : `uphop resume${rf} to finish the install, or uphop rollback${rf} to return to ${pending.prev?.version ?? 'nothing installed'}`,
    };
  }
  if (!state) return { ...base, state: 'not-installed', next: 'install the fresh-install bundle with --values' };
  const agents = await agentSummary(root);
  const behind = agents ? agents.total - agents.current : 0;
  return { ...base, state: 'installed', agents, ...(behind ? { next: `uphop agents rollout${rf} (${behind} agent(s) not on ${agents!.target})` } : {}) };
}

/** undefined when there is no agent package or no agent, or the DB does not answer: status must not fail on it */
async function agentSummary(root: string): Promise<StatusReport['agents']> {
  const { listFleet } = await import('../agents/index.js');
  const fleet = await listFleet({ root }).catch(() => undefined);
  if (!fleet?.target || !fleet.agents.length) return undefined;
  const current = fleet.agents.filter((a) => a.version === fleet.target).length;
  const failed = fleet.agents.filter((a) => a.version !== fleet.target && a.state === 'failed').length;
  return { target: fleet.target, total: fleet.agents.length, current, failed };
}

async function serviceStatus(root: string, state: NonNullable<Awaited<ReturnType<typeof readState>>>) {
  const values = await readValuesFile(layout(root).values(state.product)).catch(() => ({}) as Record<string, unknown>);
  const kind = ((values.services as { driver?: ServiceDriverKind } | undefined)?.driver ?? 'process') as ServiceDriverKind;
  const driver = createServiceDriver(kind, { root, product: state.product });
  const vars = { ...values, root, product: state.product, version: state.version, node: process.execPath };
  const out: { name: string; status: string }[] = [];
  for (const name of state.services.order) {
    const svc = state.components[name]?.service;
    if (!svc) continue;
    const r = renderDeep(svc, { ...vars, ...serviceValues(root, state.product, name) });
    out.push({ name, status: await driver.status({ name, exec: r.exec, env: r.env, unit: r.unit }).catch(() => 'unknown') });
  }
  return out;
}

export async function history(req: { root: string }): Promise<{ root: string; hops: HopRecord[] }> {
  const root = path.resolve(req.root);
  return { root, hops: (await readState(layout(root).state))?.history ?? [] };
}
