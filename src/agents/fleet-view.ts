/**
 * `uphop agents`: the fleet as the DB lists it, the summary first (how many agents
 * at each version and state, the failures of the last rollout grouped by reason),
 * then the agents a filter selects, each with its last rollout outcome.
 */
import path from 'node:path';
import { openFleet } from './fleet.js';
import type { RolloutProgress } from './progress.js';
import type { AgentOutcome, AgentRecord } from './types.js';

export interface ListRequest {
  root: string;
  /** only agents matching all of these */
  filter?: { version?: string; state?: string; group?: string; status?: AgentOutcome['status'] };
}

export interface FleetSummary {
  total: number;
  /** agents already on the target */
  current: number;
  /** agents per version and state, most first */
  byVersion: { version: string | null; state: string; agents: number }[];
  /** the last rollout's failed and offline agents by reason, most first; `example` is one of them */
  failures: { status: 'failed' | 'offline'; reason: string; agents: number; example: string }[];
  /** the rollout to the target is paused after its canary, or aborted */
  phase?: RolloutProgress['phase'];
}

export interface AgentsList {
  root: string;
  product: string;
  target: string | null;
  summary?: FleetSummary;
  agents: (AgentRecord & { last?: Pick<AgentOutcome, 'status' | 'error' | 'attempts'> })[];
}

/** "agent a7 at http://10.0.0.7:7070 rejected the token" -> "rejected the token": one reason for the whole fleet */
export const reasonOf = (error: string) => error.replace(/^agent \S+(?: at \S+| \(amqp:[^)]*\))?:? /, '').replace(/\b\d+(\.\d+)? ?(ms|s)\b/g, 'N$2');

function summarize(agents: AgentsList['agents'], target: string, progress?: RolloutProgress): FleetSummary {
  const versions = new Map<string, FleetSummary['byVersion'][number]>();
  const failures = new Map<string, FleetSummary['failures'][number]>();
  let current = 0;
  for (const a of agents) {
    if (a.version === target) current++;
    const key = `${a.version}\0${a.state}`;
    const v = versions.get(key) ?? { version: a.version, state: a.state, agents: 0 };
    v.agents++;
    versions.set(key, v);
    const last = a.last;
    if (a.version === target || !last || (last.status !== 'failed' && last.status !== 'offline')) continue;
    const reason = reasonOf(last.error ?? 'no reason given');
    const f = failures.get(`${last.status}\0${reason}`) ?? { status: last.status, reason, agents: 0, example: a.id };
    f.agents++;
    failures.set(`${last.status}\0${reason}`, f);
  }
  const most = <T extends { agents: number }>(m: Map<string, T>) => [...m.values()].sort((x, y) => y.agents - x.agents);
  return { total: agents.length, current, byVersion: most(versions), failures: most(failures), ...(progress?.phase ? { phase: progress.phase } : {}) };
}

export async function listFleet(req: ListRequest): Promise<AgentsList> {
  const fleet = await openFleet(req.root);
  if ('none' in fleet) return { root: path.resolve(req.root), product: fleet.product, target: null, agents: [] };
  try {
    const target = fleet.manifest.agents!.version;
    const last = (id: string) => {
      const o = fleet.progress?.outcomes.get(id);
      return o && { status: o.status, error: o.error, attempts: o.attempts };
    };
    const all = fleet.agents.map((a) => ({ ...a, last: last(a.id) }));
    const f = req.filter ?? {};
    const agents = all.filter(
      (a) =>
        (f.version === undefined || a.version === f.version) &&
        (f.state === undefined || a.state === f.state) &&
        (f.group === undefined || a.group === f.group) &&
        (f.status === undefined || a.last?.status === f.status),
    );
    return { root: fleet.L.root, product: fleet.product, target, summary: summarize(all, target, fleet.progress), agents };
  } finally {
    await fleet.knex.destroy();
  }
}
