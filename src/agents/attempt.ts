/**
 * One agent's upgrade: attempts bounded by the per-attempt timeout and the
 * caller's signal, retried with backoff while the failure is retryable. A failure
 * is an outcome, never an exception; an interrupt is no outcome at all (the
 * command may have reached the agent: the next run looks before sending another).
 */
import { messageOf } from '../errors.js';
import type { Emit } from '../events.js';
import { DEFAULT_MAX_BACKOFF_MS, retry } from '../util/retry.js';
import { AgentError, type AgentOutcome, type AgentRecord, type AgentTransport, type ResolvedPolicy } from './types.js';

/** milliseconds as a policy would write them: 2m, 5s, 50ms */
export const formatMs = (ms: number) => (ms > 0 && ms % 60_000 === 0 ? `${ms / 60_000}m` : ms > 0 && ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);
export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

interface Attempt {
  version?: string;
  error?: string;
  retryable: boolean;
  offline?: boolean;
  interrupted?: boolean;
}

export interface AgentJob {
  target: string;
  policy: ResolvedPolicy;
  transport: AgentTransport;
  emit: Emit;
  signal?: AbortSignal;
  backoffMs?: number;
}

async function attempt(j: AgentJob, agent: AgentRecord, inDoubt: boolean): Promise<Attempt> {
  const { signal, policy, target } = j;
  const ctrl = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ctrl.abort(new Error('timed out'));
  }, policy.timeoutMs);
  const interrupt = () => ctrl.abort(new Error('interrupted'));
  signal?.addEventListener('abort', interrupt, { once: true });
  if (signal?.aborted) interrupt();
  try {
    const upgrading = j.transport.upgrade(agent, ctrl.signal, { inDoubt });
    upgrading.catch(() => {}); // a transport that ignores the signal may still reject later
    // race the signal too, so a transport that ignores it cannot hold the slot forever
    const aborted = new Promise<never>((_, reject) => ctrl.signal.addEventListener('abort', () => reject(ctrl.signal.reason), { once: true }));
    aborted.catch(() => {});
    const version = await Promise.race([upgrading, aborted]);
    if (version === target) return { version, retryable: false };
    return { version, error: `reported ${version} after the upgrade, expected ${target}`, retryable: false };
  } catch (e) {
    if (signal?.aborted) return { error: 'interrupted', retryable: false, interrupted: true };
    if (timedOut) return { error: `did not report ${target} within ${formatMs(policy.timeoutMs)}`, retryable: true };
    const offline = e instanceof AgentError && e.offline;
    return { error: messageOf(e), retryable: !(e instanceof AgentError && !e.retryable), offline };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', interrupt);
  }
}

/** the agent's outcome, or undefined when interrupted before it ended */
export async function upgradeAgent(j: AgentJob, agent: AgentRecord, inDoubt: boolean): Promise<AgentOutcome | undefined> {
  const started = Date.now();
  const max = 1 + j.policy.retries;
  let attempts = 0;
  let last: Attempt | undefined;
  try {
    await retry(
      async () => {
        attempts++;
        // after a first attempt the command may have arrived even if its answer did not
        last = await attempt(j, agent, inDoubt || attempts > 1);
        if (last.error && last.retryable) throw new Error(last.error);
      },
      {
        attempts: max,
        baseMs: j.backoffMs ?? 1000,
        maxMs: DEFAULT_MAX_BACKOFF_MS,
        signal: j.signal,
        onRetry: ({ waitMs }) => j.emit({ type: 'log', level: 'info', message: `${agent.id}: ${last?.error}; retrying in ${formatMs(waitMs)} (attempt ${attempts + 1} of ${max})` }),
      },
    );
  } catch {
    /* the last attempt's error, kept in `last`, or the signal */
  }
  // interrupted during an attempt or the wait before the next: no outcome, the agent stays "in doubt"
  if (!last || last.interrupted || (last.error && j.signal?.aborted)) return undefined;
  const status = !last.error ? 'upgraded' : last.offline ? 'offline' : 'failed';
  if (status !== 'upgraded') j.emit({ type: 'log', level: 'warn', message: `${agent.id} ${status === 'offline' ? 'is offline' : 'failed'} after ${plural(attempts, 'attempt')}: ${last.error}` });
  return {
    id: agent.id,
    address: agent.address,
    status,
    attempts,
    ms: Date.now() - started,
    ...(last.version !== undefined ? { version: last.version } : {}),
    ...(last.error ? { error: last.error } : {}),
  };
}
