/**
 * The rollout engine: runs the planned waves through a transport, retries what can
 * be retried, and stops on a failed canary, too many failures, or an interrupt.
 * Agent failures are outcomes, never exceptions; the caller decides the exit code.
 */
import { type Emit, silent } from '../events.js';
import { messageOf } from '../errors.js';
import { planWaves } from './policy.js';
import { pause, retry } from '../util/retry.js';
import { AgentError, type AgentOutcome, type AgentRecord, type AgentTransport, type ResolvedPolicy, type Rollout } from './types.js';

export interface RolloutOptions {
  agents: AgentRecord[];
  target: string;
  policy: ResolvedPolicy;
  transport: AgentTransport;
  emit?: Emit;
  signal?: AbortSignal;
  /** wait before the first retry; doubles per retry with jitter, capped at 30 s (default 1000; util/retry.ts) */
  backoffMs?: number;
  /** awaited after each attempted agent finishes, in completion order (the caller persists progress) */
  onOutcome?: (o: AgentOutcome) => void | Promise<void>;
}

const MAX_BACKOFF_MS = 30_000;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** milliseconds as a policy would write them: 2m, 5s, 50ms */
export const formatMs = (ms: number) => (ms > 0 && ms % 60_000 === 0 ? `${ms / 60_000}m` : ms > 0 && ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);

interface Attempt { version?: string; error?: string; retryable: boolean }

export async function runRollout(o: RolloutOptions): Promise<Rollout> {
  const { target, policy, transport, signal } = o;
  const emit = o.emit ?? silent;
  const outcomes: AgentOutcome[] = [];
  const current = o.agents.filter((a) => a.version === target);
  for (const a of current) outcomes.push({ id: a.id, address: a.address, status: 'skipped', version: a.version ?? undefined, attempts: 0, ms: 0 });
  if (current.length > 0) emit({ type: 'log', level: 'info', message: `${plural(current.length, 'agent')} already on ${target}, skipped` });
  const todo = o.agents.filter((a) => a.version !== target);
  const waves = planWaves(todo, policy);
  let done = 0;
  let failed = 0;

  /** one attempt, bounded by the per-attempt timeout and the caller's signal */
  async function attempt(agent: AgentRecord): Promise<Attempt> {
    const ctrl = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; ctrl.abort(new Error('timed out')); }, policy.timeoutMs);
    const interrupt = () => ctrl.abort(new Error('interrupted'));
    signal?.addEventListener('abort', interrupt, { once: true });
    if (signal?.aborted) interrupt();
    try {
      const upgrading = transport.upgrade(agent, ctrl.signal);
      upgrading.catch(() => {}); // a transport that ignores the signal may still reject later
      // race the signal too, so a transport that ignores it cannot hold the wave forever
      const aborted = new Promise<never>((_, reject) => ctrl.signal.addEventListener('abort', () => reject(ctrl.signal.reason), { once: true }));
      aborted.catch(() => {});
      const version = await Promise.race([upgrading, aborted]);
      if (version === target) return { version, retryable: false };
      return { version, error: `reported ${version} after the upgrade, expected ${target}`, retryable: false };
    } catch (e) {
      if (signal?.aborted) return { error: 'interrupted', retryable: false };
      if (timedOut) return { error: `did not report ${target} within ${formatMs(policy.timeoutMs)}`, retryable: true };
      return { error: messageOf(e), retryable: !(e instanceof AgentError && !e.retryable) };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', interrupt);
    }
  }

  async function upgradeOne(agent: AgentRecord): Promise<void> {
    const started = Date.now();
    const max = 1 + policy.retries;
    let attempts = 0;
    let last: Attempt = { error: 'interrupted', retryable: false };
    try {
      await retry(async () => {
        attempts++;
        last = await attempt(agent);
        if (last.error && last.retryable) throw new Error(last.error);
      }, {
        attempts: max, baseMs: o.backoffMs ?? 1000, maxMs: MAX_BACKOFF_MS, signal,
        onRetry: ({ waitMs }) => emit({ type: 'log', level: 'info', message: `${agent.id}: ${last.error}; retrying in ${formatMs(waitMs)} (attempt ${attempts + 1} of ${max})` }),
      });
    } catch {
      if (signal?.aborted) last = { error: 'interrupted', retryable: false };
    }
    const outcome: AgentOutcome = {
      id: agent.id, address: agent.address, status: last.error ? 'failed' : 'upgraded', attempts, ms: Date.now() - started,
      ...(last.version !== undefined ? { version: last.version } : {}),
      ...(last.error ? { error: last.error } : {}),
    };
    if (last.error) {
      failed++;
      emit({ type: 'log', level: 'warn', message: `${agent.id} failed after ${plural(attempts, 'attempt')}: ${last.error}` });
    }
    outcomes.push(outcome);
    emit({ type: 'progress', task: 'agents', done: ++done, total: todo.length, unit: 'items' });
    await o.onOutcome?.(outcome);
  }

  /** a wave's agents, at most `batch` at once; none start once interrupted */
  async function runWave(agents: AgentRecord[]): Promise<void> {
    let next = 0;
    const worker = async () => { while (next < agents.length && !signal?.aborted) await upgradeOne(agents[next++]); };
    const settled = await Promise.allSettled(Array.from({ length: Math.min(Math.max(1, policy.batch), agents.length) }, worker));
    const broken = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (broken) throw broken.reason; // onOutcome failed: the caller's bug, not an agent's
  }

  let stopped: string | undefined;
  let started = 0;
  for (const wave of waves) {
    if (started > 0) await pause(policy.delayMs, signal);
    if (signal?.aborted) { stopped = 'interrupted'; break; }
    started++;
    emit({ type: 'log', level: 'info', message: `wave ${started}/${waves.length} (${wave.kind}): ${plural(wave.agents.length, 'agent')}` });
    const before = outcomes.length;
    await runWave(wave.agents);
    if (signal?.aborted) { stopped = 'interrupted'; break; }
    const canaryFailure = wave.kind === 'canary' ? outcomes.slice(before).find((x) => x.status === 'failed') : undefined;
    if (canaryFailure) { stopped = `the canary failed: ${canaryFailure.id}: ${canaryFailure.error}`; break; }
    if (failed > policy.maxFailures) { stopped = `${plural(failed, 'agent')} failed, more than max_failures ${policy.maxFailures}`; break; }
  }

  const upgraded = outcomes.filter((x) => x.status === 'upgraded').length;
  const total = o.agents.length;
  return {
    target, total, upgraded, skipped: current.length, failed, pending: total - outcomes.length,
    ...(stopped ? { stopped } : {}), waves: started, outcomes,
  };
}
