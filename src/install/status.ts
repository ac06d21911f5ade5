/**
 * `uphop status` / `uphop history`: where the manager stands and what to run next.
 * Each state has its exit code (docs/crash-safety.md): 0 installed and healthy,
 * 1 installed but a service is down, stray or failing its health check, 2 nothing
 * installed, 3 an install is running or was interrupted.
 */
import path from 'node:path';
import type { ExitCode } from '../errors.js';
import { runHealthCheck } from '../drivers/health.js';
import { findInterrupted } from './interrupted.js';
import { installedServices } from './installed.js';
import { layout, type Layout } from './layout.js';
import { lockOwnerAlive, readLock } from './lock.js';
import { readState, type HopRecord, type InstalledState } from './state.js';
import { readStarts } from './starting.js';

export interface ServiceReport {
  name: string;
  status: string;
  pid?: number;
  version?: string;
  /** processes of the service that no pidfile names (left by a crash): pid, release version */
  strays?: { pid: number; version?: string }[];
}

export interface StatusReport {
  root: string;
  state: 'not-installed' | 'installed' | 'installing' | 'interrupted';
  product?: string;
  version?: string;
  /** installed, every service running as recorded and every health check passing */
  healthy?: boolean;
  services: ServiceReport[];
  health?: { name: string; ok: boolean; observation: string }[];
  interrupted?: { bundle: string; lastStep?: string; failed?: string; rollingBack: boolean };
  lock?: { pid: number; bundle: string; since: string; activity?: string };
  /** an install killed before its journal began: it changed nothing (its temp files go with the next run) */
  notBegun?: { bundle: string; source: string; since: string };
  /** the registered agents against the installed bundle's agent version */
  agents?: { target: string; total: number; current: number; failed: number };
  next?: string;
  exitCode: ExitCode;
}

export async function status(req: { root: string }): Promise<StatusReport> {
  const root = path.resolve(req.root);
  const L = layout(root);
  const rf = root === '/' ? '' : ` --root ${root}`;
  // recovery's fixed order: state.json, then the lock, then the journals
  const state = await readState(L.state);
  const lock = await readLock(L.lock);
  const live = lock && (await lockOwnerAlive(lock));
  const pending = await findInterrupted(L);
  const services = state ? await serviceStatus(L, state) : [];
  const base = { root, product: state?.product, version: state?.version, services };
  if (live)
    return {
      ...base,
      state: 'installing',
      lock: { pid: lock.pid, bundle: lock.bundle, since: lock.since, ...(lock.activity ? { activity: lock.activity } : {}) },
      next: `wait for ${lock.activity ? 'it' : 'the running install'} to finish`,
      exitCode: 3,
    };
  if (pending) {
    return {
      ...base,
      state: 'interrupted',
      interrupted: { bundle: pending.id, lastStep: pending.begun.at(-1), failed: pending.failed?.error, rollingBack: pending.undoing },
      next: pending.undoing ? `uphop rollback${rf}` : `uphop resume${rf} to finish the install, or uphop rollback${rf} to return to ${pending.prev?.version ?? 'nothing installed'}`,
      exitCode: 3,
    };
  }
  const abandoned = (await readStarts(L)).abandoned.at(-1);
  const notBegun = abandoned && { bundle: path.basename(abandoned.source).replace(/\.tar\.gz$/, ''), source: abandoned.source, since: abandoned.since };
  const again = notBegun && { notBegun, next: `uphop resume${rf} (runs the install of ${notBegun.bundle} again)` };
  if (!state) return { ...base, state: 'not-installed', next: 'install the fresh-install bundle with --values', ...again, exitCode: 2 };
  const down = services.filter((s) => s.status !== 'running' || s.strays?.length);
  const health = down.length ? undefined : await healthOf(L, state);
  if (down.length || health?.some((h) => !h.ok)) {
    const what = down.length
      ? down.map((s) => `${s.name} ${s.strays?.length ? 'has a stray process' : s.status}`).join(', ')
      : `health check ${health!
          .filter((h) => !h.ok)
          .map((h) => h.name)
          .join(', ')} failing`;
    return { ...base, state: 'installed', healthy: false, health, next: `uphop services ${down.length ? 'start' : 'restart'}${rf} (${what})`, ...(again ? { notBegun } : {}), exitCode: 1 };
  }
  const agents = await agentSummary(root);
  const behind = agents ? agents.total - agents.current : 0;
  return { ...base, state: 'installed', healthy: true, health, agents, ...(behind ? { next: `uphop agents rollout${rf} (${behind} agent(s) not on ${agents!.target})` } : {}), ...again, exitCode: 0 };
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

async function serviceStatus(L: Layout, state: InstalledState): Promise<ServiceReport[]> {
  const inst = await installedServices(L, state).catch(() => undefined);
  if (!inst) return [];
  const out: ServiceReport[] = [];
  for (const spec of inst.specs) {
    const status = await inst.driver.status(spec).catch(() => 'unknown');
    const procs = (await inst.driver.processes?.(spec).catch(() => undefined)) ?? [];
    const mine = procs.find((p) => p.tracked);
    const strays = procs.filter((p) => !p.tracked).map((p) => ({ pid: p.pid, version: p.version }));
    out.push({ name: spec.name, status, ...(mine ? { pid: mine.pid, version: mine.version } : {}), ...(strays.length ? { strays } : {}) });
  }
  return out;
}

/** one quick look per check (a status must answer in seconds), not the install's patient retries */
async function healthOf(L: Layout, state: InstalledState) {
  const inst = await installedServices(L, state).catch(() => undefined);
  const out: NonNullable<StatusReport['health']> = [];
  for (const check of inst?.health ?? []) {
    try {
      const r = await runHealthCheck({ ...check, timeout: '5s' });
      out.push({ name: check.name, ok: true, observation: r.observation });
    } catch (e) {
      out.push({ name: check.name, ok: false, observation: (e as Error).message });
    }
  }
  return out;
}

export async function history(req: { root: string }): Promise<{ root: string; hops: HopRecord[] }> {
  const root = path.resolve(req.root);
  return { root, hops: (await readState(layout(root).state))?.history ?? [] };
}
