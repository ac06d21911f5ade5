/**
 * Agent rollout: once the manager is healthy on its new version, the agents it
 * lists in its DB are upgraded in waves (a canary share, then batches), each one
 * told through a transport and confirmed by the version it reports afterwards.
 */

/** a row of the manager's `agents` table */
export interface AgentRecord {
  id: string;
  /** base URL of the agent's HTTP API, e.g. http://10.0.0.7:7070 */
  address: string;
  version: string | null;
  state: string;
  /** the optional `group` column: --only/--except select by it, agents.hold_groups never upgrade */
  group?: string | null;
}

/** a bundle's RolloutPolicy resolved against the fleet: counts and milliseconds */
export interface ResolvedPolicy {
  /** agents in the canary wave (0 when the fleet is empty) */
  canary: number;
  /** agents per wave after the canary: the unit of `delay` */
  batch: number;
  /** agents in flight at once; with no delay the window slides across waves */
  concurrency: number;
  /** pause between waves (0: the next wave's agents start as soon as a slot frees) */
  delayMs: number;
  /** failed agents tolerated across the whole rollout; one more stops it */
  maxFailures: number;
  /** this many failures in a row stop the rollout (Infinity: off) */
  maxConsecutive: number;
  /** stop after a successful canary until `uphop agents continue` */
  pause: boolean;
  /** one attempt on one agent: the request plus the wait for it to report the target version */
  timeoutMs: number;
  /** further attempts after a retryable failure */
  retries: number;
}

export interface Wave {
  kind: 'canary' | 'batch';
  /** 0 for the canary, then 1, 2, … */
  index: number;
  agents: AgentRecord[];
}

export interface AgentOutcome {
  id: string;
  address: string;
  /** offline: could not be reached at all; not counted against the failure budget, tried again by a later run */
  status: 'upgraded' | 'skipped' | 'failed' | 'offline';
  /** the version the agent reported at the end */
  version?: string;
  attempts: number;
  /** one sentence: why it failed */
  error?: string;
  ms: number;
}

export interface Rollout {
  target: string;
  total: number;
  upgraded: number;
  skipped: number;
  failed: number;
  /** could not be reached: skipped without spending the failure budget */
  offline: number;
  /** agents not attempted because the rollout stopped or paused */
  pending: number;
  /** why it stopped early (a failed canary, too many failures, interrupted) */
  stopped?: string;
  /** the canary passed and the policy says pause: the rest waits for `uphop agents continue` */
  paused?: boolean;
  waves: number;
  outcomes: AgentOutcome[];
}

/** how one agent is told to upgrade and confirmed (HTTP; AMQP for large fleets later) */
export interface AgentTransport {
  /**
   * tell the agent to upgrade to the target and wait until it reports that version;
   * resolves with the reported version, rejects with an AgentError; gives up when
   * the signal aborts (the per-attempt timeout)
   */
  upgrade(agent: AgentRecord, signal: AbortSignal, how?: UpgradeHow): Promise<string>;
  close?(): Promise<void>;
}

export interface UpgradeHow {
  /**
   * a command may already have reached this agent (an earlier run was killed with
   * it in flight): look first, and send nothing if it already runs the target or is
   * still upgrading (transports that cannot look send the command)
   */
  inDoubt?: boolean;
}

/** a failed attempt on one agent; retryable ones are tried again with backoff */
export class AgentError extends Error {
  /** `offline`: the agent could not be reached at all (no command was delivered) */
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly offline = false,
  ) {
    super(message);
    this.name = 'AgentError';
  }
}
