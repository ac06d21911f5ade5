/**
 * The copy's site values: the live ones with every port key on a free port
 * (src/sandbox/ports.ts has the rule), the copy's database, the process driver
 * (a systemd unit is the live manager's own), and any path under the live root
 * moved under the copy's.
 */
import type { DbValues } from '../drivers/db/connect.js';
import { withFreePorts, type PortChange } from '../sandbox/ports.js';

export async function copyValues(
  live: Record<string, unknown>,
  o: { liveRoot: string; copyRoot: string; db?: DbValues; portKeys?: readonly string[] },
): Promise<{ values: Record<string, unknown>; ports: PortChange[] }> {
  const moved = movePaths(live, o.liveRoot, o.copyRoot) as Record<string, unknown>;
  const { values, ports } = await withFreePorts(moved, undefined, o.portKeys);
  if (o.db) values.db = o.db;
  values.services = { ...((values.services as object) ?? {}), driver: 'process' };
  return { values, ports };
}

function movePaths(v: unknown, from: string, to: string): unknown {
  if (typeof v === 'string') return v === from || v.startsWith(from + '/') ? to + v.slice(from.length) : v;
  if (Array.isArray(v)) return v.map((x) => movePaths(x, from, to));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, movePaths(x, from, to)]));
  return v;
}

/** the port numbers of a config the site edited, replaced where they stand alone */
export function movePorts(text: string, ports: PortChange[]): string {
  return ports.reduce((t, p) => t.replace(new RegExp(`(?<![0-9])${p.from}(?![0-9])`, 'g'), String(p.to)), text);
}
