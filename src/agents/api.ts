/**
 * The agents core's request and result types and the opened fleet, apart from
 * its code so that the rollout body (run.ts) and callers (install) can name them
 * without importing the module that imports them.
 */
import type { Knex } from 'knex';
import type { Emit } from '../events.js';
import type { Manifest } from '../bundle/manifest.js';
import type { Layout } from '../install/layout.js';
import type { WavePreview } from './preview.js';
import type { RolloutProgress } from './progress.js';
import type { AgentSettings } from './registry.js';
import type { AgentRecord, Rollout } from './types.js';

export interface AgentsRequest {
  root: string;
  dryRun?: boolean;
  emit?: Emit;
  signal?: AbortSignal;
  /** first retry delay (tests shorten it) */
  backoffMs?: number;
}

export interface AgentsResult {
  outcome: 'done' | 'stopped' | 'nothing-to-do' | 'no-agents' | 'dry-run';
  product: string;
  /** the agent version of the installed bundle */
  target: string | null;
  bundle: string | null;
  rollout?: Rollout;
  /** --dry-run: the waves that would run, agent ids */
  waves?: WavePreview[];
  message: string;
}

export interface Fleet {
  L: Layout;
  product: string;
  version: string;
  bundle: string;
  manifest: Manifest;
  values: AgentSettings;
  knex: Knex;
  table: string;
  agents: AgentRecord[];
  progress?: RolloutProgress;
}
