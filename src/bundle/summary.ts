/** What a bundle does, in the words of `uphop inspect`: derived from its manifest only. */
import type { Manifest, MigrationPhase } from './manifest.js';

export interface BundleSummary {
  product: string;
  from: string;
  to: string;
  created: string;
  platform: Manifest['platform'];
  signer: string | null;
  components: { name: string; version: string; type: string; service: boolean }[];
  migrations: Record<MigrationPhase, string[]>;
  configs: { dest: string; mode: string }[];
  services: { order: string[]; health: string[] };
  agents: { version: string; rollout: NonNullable<Manifest['agents']>['rollout'] } | null;
  hooks: string[];
  files: number;
  bytes: number;
}

export function summarize(m: Manifest, signed: boolean): BundleSummary {
  const migrations: Record<MigrationPhase, string[]> = { pre: [], main: [], post: [] };
  for (const x of m.migrations) migrations[x.phase].push(x.name);
  const entries = Object.values(m.files);
  return {
    product: m.product,
    from: m.from,
    to: m.to,
    created: m.created,
    platform: m.platform,
    signer: signed ? (m.signer ?? 'unknown key') : null,
    components: m.components.map((c) => ({ name: c.name, version: c.version, type: c.type, service: !!c.service })),
    migrations,
    configs: m.configs.map((c) => ({ dest: c.dest, mode: c.mode })),
    services: { order: m.services.order, health: m.services.health.map((h) => `${h.name}: ${h.http ?? h.tcp ?? h.command?.join(' ')}`) },
    agents: m.agents ? { version: m.agents.version, rollout: m.agents.rollout } : null,
    hooks: Object.keys(m.hooks),
    files: entries.length,
    bytes: entries.reduce((n, f) => n + f.size, 0),
  };
}

export function summaryText(s: BundleSummary): string {
  const lines = [
    `${s.product} ${s.from} -> ${s.to}   built ${s.created} for ${s.platform.os}/${s.platform.arch}, node ${s.platform.node}`,
    `signed: ${s.signer ?? 'no (installing needs --allow-unsigned)'}`,
    'components:',
    ...s.components.map((c) => `  ${c.name} ${c.version} (${c.type}${c.service ? ', service' : ''})`),
    'migrations:',
    ...(['pre', 'main', 'post'] as const).flatMap((p) => s.migrations[p].map((n) => `  ${p.padEnd(4)} ${n}`)),
    'configs:',
    ...s.configs.map((c) => `  ${c.dest} (${c.mode})`),
    `services: start order ${s.services.order.join(' -> ') || '(none)'}`,
    ...s.services.health.map((h) => `  health ${h}`),
    `agents: ${s.agents ? `upgrade to ${s.agents.version}, rollout ${JSON.stringify(s.agents.rollout)}` : 'none'}`,
    `hooks: ${s.hooks.join(', ') || 'none'}`,
    `files: ${s.files} (${s.bytes} bytes)`,
  ];
  return lines.join('\n');
}
