/**
 * The waves a rollout would run right now, for `install --dry-run`: the fleet
 * from the manager's DB, minus the agents already on the target version.
 */
import type { Knex } from 'knex';
import type { Manifest } from '../bundle/manifest.js';
import { planWaves, resolvePolicy } from './policy.js';
import { listAgents } from './registry.js';
import type { AgentRecord, ResolvedPolicy } from './types.js';

export interface WavePreview {
  kind: string;
  agents: string[];
}

/** undefined when the fleet cannot be read (no database or no agents table yet: a fresh install) */
export async function previewWaves(knex: Knex, table: string, agents: NonNullable<Manifest['agents']>): Promise<WavePreview[] | undefined> {
  const fleet = await listAgents(knex, table).catch(() => undefined);
  if (!fleet) return undefined;
  const todo = fleet.filter((a) => a.version !== agents.version);
  return waveIds(todo, resolvePolicy(agents.rollout, todo.length));
}

/** the planned waves as agent ids: what a dry run shows */
export const waveIds = (todo: AgentRecord[], policy: ResolvedPolicy): WavePreview[] => planWaves(todo, policy).map((w) => ({ kind: w.kind, agents: w.agents.map((a) => a.id) }));
