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
import { reported, type Summary } from './run.js';
import { reportsDir } from './store.js';

const HOP_FILE = /^(.+?)-(none|\d[^/]*?)-to-(\d[^/]*?)(\.tar\.gz)?$/;

export function hopOfFile(file: string): { product: string; from: string; to: string } {
  const m = HOP_FILE.exec(path.basename(file));
  return m ? { product: m[1], from: m[2], to: m[3] } : { product: 'unknown', from: '?', to: '?' };
}

const agentsOf = (a?: AgentsResult): Summary['agents'] => (a?.rollout ? { upgraded: a.rollout.upgraded, failed: a.rollout.failed, total: a.rollout.total, message: a.message } : undefined);

export function reportInstall(o: { root: string; bundle: string; emit: Emit }, fn: (emit: Emit) => Promise<InstallResult>) {
  return reported<InstallResult>(
    {
      dir: reportsDir(o.root),
      root: o.root,
      kind: 'install',
      name: path.basename(o.bundle).replace(/\.tar\.gz$/, ''),
      emit: o.emit,
      summary: (r) => {
        if (!r) return hopOfFile(o.bundle);
        if (r.outcome !== 'installed') return undefined;
        return { product: r.product, from: r.from, to: r.to, configs: r.configs, agents: agentsOf(r.agents), outcome: r.agents?.outcome === 'stopped' ? 'failed' : 'succeeded' };
      },
    },
    fn,
  );
}

export function reportUpgrade(o: { root: string; to: string; emit: Emit }, fn: (emit: Emit) => Promise<UpgradeResult>) {
  return reported<UpgradeResult>(
    {
      dir: reportsDir(o.root),
      root: o.root,
      kind: 'upgrade',
      name: `to-${o.to}`,
      emit: o.emit,
      summary: (r, _e, events) => {
        if (!r) {
          const plan = events.find((e) => e.type === 'upgrade-plan') as { product?: string; from?: string; to?: string } | undefined;
          return { product: plan?.product ?? 'manager', from: plan?.from ?? '?', to: plan?.to ?? o.to };
        }
        if (r.outcome !== 'upgraded') return undefined;
        return { product: r.product, from: r.from, to: r.to, agents: agentsOf(r.agents), outcome: r.agents?.outcome === 'stopped' ? 'failed' : 'succeeded' };
      },
    },
    fn,
  );
}
