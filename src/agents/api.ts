/**
 * The agents core's request and result types and the opened fleet, apart from
 * its code so that the rollout body (run.ts) and callers (install) can name them
 * without importing the module that imports them.
 */
import type { Knex } from 'knex';
import type { Emit } from '../events.js';
import type { Manifest } from '../bundle/manifest.js';
import type { Layout } from '../install/layout.js';
import type { PolicyOverrides } from './policy.js';
import type { WavePreview } from './preview.js';
import type { RolloutProgress } from './progress.js';
import type { AgentSettings } from './registry.js';
import type { AgentOutcome, AgentRecord, Rollout } from './types.js';

export interface AgentsRequest {
  root: string;
  dryRun?: boolean;
  emit?: Emit;
  signal?: AbortSignal;
  /** first retry delay (tests shorten it) */
  backoffMs?: number;
  /** first HTTP health poll (tests shorten it) */
  pollMs?: number;
  /** command-line flags over the bundle's policy, for this run only */
  overrides?: PolicyOverrides;
  /** only agents of these groups / not of these groups (the agents table's `group` column) */
  only?: string[];
  except?: string[];
}

export interface AgentsResult {
  outcome: 'done' | 'stopped' | 'paused' | 'aborted' | 'nothing-to-do' | 'no-agents' | 'dry-run';
  product: string;
  /** the agent version of the installed bundle */
  target: string | null;
  bundle: string | null;
  rollout?: Rollout;
  /** --dry-run: the waves that would run, agent ids */
  waves?: WavePreview[];
  /** agents left out: in a held group (agents.hold_groups) or not selected by --only/--except */
  held?: number;
  unselected?: number;
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
  /** upgraded as the progress log says, not yet in the DB (its batch was lost to a kill): the next rollout writes them */
  unrecorded: AgentOutcome[];
}
