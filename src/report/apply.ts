/**
 * Reports of install and upgrade: what the result says (versions, configs, the
 * agents' totals) on top of the events; on a failure, the versions come from the
 * bundle's file name, as nothing else is known then.
 */
import path from 'node:path';
import type { Emit } from '../events.js';
import type { AgentsResult } from '../agents/api.js';
import type { InstallResult } from '../install/result.js';
import type { UpgradeResult } from '../upgrade/types.js';
import { reported, type ReportedOptions, type Summary } from './run.js';
import { reportsDir } from './store.js';

const HOP_FILE = /^(.+?)-(none|\d[^/]*?)-to-(\d[^/]*?)(\.tar\.gz)?$/;

export function hopOfFile(file: string): { product: string; from: string; to: string } {
  const m = HOP_FILE.exec(path.basename(file));
  return m ? { product: m[1], from: m[2], to: m[3] } : { product: 'unknown', from: '?', to: '?' };
}

export const agentsOf = (a?: AgentsResult): Summary['agents'] => (a?.rollout ? { upgraded: a.rollout.upgraded, failed: a.rollout.failed, total: a.rollout.total, message: a.message } : undefined);

/** the manager is on its new version; a stopped agent rollout after it is the part that failed */
const withAgents = (s: Pick<Summary, 'product' | 'from' | 'to' | 'configs'>, a?: AgentsResult): Summary => ({ ...s, agents: agentsOf(a), outcome: a?.outcome === 'stopped' ? 'failed' : 'succeeded' });

/** an install (or a resumed one) that ended installed; anything else changed nothing worth a report */
export const installedSummary = (r: InstallResult): Summary | undefined =>
  r.outcome === 'installed' ? withAgents({ product: r.product, from: r.from, to: r.to, configs: r.configs }, r.agents) : undefined;

/** reported() for a command on a manager: its reports go under <root>/var/lib/uphop/reports */
export function onManager<R>(o: Omit<ReportedOptions<R>, 'dir'>, fn: (emit: Emit) => Promise<R>) {
  return reported<R>({ ...o, dir: reportsDir(o.root) }, fn);
}

export function reportInstall(o: { root: string; bundle: string; emit: Emit }, fn: (emit: Emit) => Promise<InstallResult>) {
  return onManager<InstallResult>(
    {
      root: o.root,
      kind: 'install',
      name: path.basename(o.bundle).replace(/\.tar\.gz$/, ''),
      emit: o.emit,
      summary: (r) => (r ? installedSummary(r) : hopOfFile(o.bundle)),
    },
    fn,
  );
}

export function reportUpgrade(o: { root: string; to: string; emit: Emit }, fn: (emit: Emit) => Promise<UpgradeResult>) {
  return onManager<UpgradeResult>(
    {
      root: o.root,
      kind: 'upgrade',
      name: `to-${o.to}`,
      emit: o.emit,
      summary: (r, _e, events) => {
        if (!r) {
          const plan = events.find((e) => e.type === 'upgrade-plan') as { product?: string; from?: string; to?: string } | undefined;
          return { product: plan?.product ?? 'manager', from: plan?.from ?? '?', to: plan?.to ?? o.to };
        }
        return r.outcome === 'upgraded' ? withAgents({ product: r.product, from: r.from, to: r.to }, r.agents) : undefined;
      },
    },
    fn,
  );
}
