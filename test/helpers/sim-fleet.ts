/**
 * Simulated fleets for the fleet-scale tests (the simulator bench:agents --fleet
 * uses, scripts/lib/agent-sim.mjs) registered in a sandbox manager's agents table,
 * with the progress log of the target version cleared so each test starts afresh.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
// @ts-expect-error: a plain .mjs shared with the bench
import { startSimFleet } from '../../scripts/lib/agent-sim.mjs';
import { agentArtifact, ensureAgentArtifacts } from './agents.js';
import type { Sandbox } from './manager.js';

export interface SimFleet {
  agents: { id: string; address: string }[];
  stats(): Promise<{ commands: number[]; redundant: number[]; versions: string[] }>;
  setOnline(indices: number[]): Promise<void>;
  openConnections(): Promise<number>;
  stop(): Promise<void>;
}

export type Behaviour = 'ok' | 'offline' | 'refuse' | 'badtoken' | 'slow';

let fleets = 0;
const RUN = randomBytes(3).toString('hex');

/** `n` agents on `from` that accept the `to` agent package, registered in the sandbox (replacing its agents) */
export async function simFleet(
  sb: Sandbox,
  o: { n: number; from: string; to: string; behaviour?: Record<number, Behaviour>; processes?: number; groups?: (i: number) => string | null; amqp?: string },
): Promise<SimFleet> {
  ensureAgentArtifacts([o.to]);
  const sha = createHash('sha256')
    .update(readFileSync(agentArtifact(o.to)))
    .digest('hex');
  const fleet: SimFleet = await startSimFleet({
    n: o.n,
    processes: o.processes ?? (o.n >= 1000 ? 4 : 1),
    token: sb.values.agents.token,
    from: o.from,
    packages: { [sha]: o.to },
    // unique on a shared broker: another test run's agents must not share these queue names
    restartMs: 50,
    idPrefix: `f${RUN}${++fleets}`,
    behaviour: o.behaviour ?? {},
    amqp: o.amqp,
  });
  const db = sb.db();
  await db('agents').del();
  const rows = fleet.agents.map((a, i) => ({ id: a.id, address: a.address, version: o.from, state: 'ok', ...(o.groups ? { group: o.groups(i) } : {}) }));
  for (let i = 0; i < rows.length; i += 100) await db('agents').insert(rows.slice(i, i + 100));
  await rm(progressLog(sb, o.to), { force: true });
  return fleet;
}

export const progressLog = (sb: Sandbox, version: string) => path.join(sb.root, 'var/lib/uphop/agents', `${version}.log`);

export const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
