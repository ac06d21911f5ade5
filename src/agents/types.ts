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
}

/** a bundle's RolloutPolicy resolved against the fleet: counts and milliseconds */
export interface ResolvedPolicy {
  /** agents in the canary wave (0 when the fleet is empty) */
  canary: number;
  /** agents upgraded at once in each later wave */
  batch: number;
  /** pause between waves */
  delayMs: number;
  /** failed agents tolerated; one more stops the rollout */
  maxFailures: number;
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
  status: 'upgraded' | 'skipped' | 'failed';
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
  /** agents not attempted because the rollout stopped */
  pending: number;
  /** why it stopped early (a failed canary, too many failures, interrupted) */
  stopped?: string;
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
  upgrade(agent: AgentRecord, signal: AbortSignal): Promise<string>;
  close?(): Promise<void>;
}

/** a failed attempt on one agent; retryable ones are tried again with backoff */
export class AgentError extends Error {
  constructor(message: string, readonly retryable: boolean) {
    super(message);
    this.name = 'AgentError';
  }
}
