/**
 * The rollout engine: the canary wave first (all of it, then judged), then the
 * batches through a sliding window of `concurrency` agents: with no `delay` the
 * next wave's agents start as soon as slots free, so one slow agent never holds
 * back the fleet; with a delay each wave ends, then the delay passes. The failure
 * budget (max_failures across all waves, max_consecutive_failures in a row) is
 * checked before each agent starts; agents in flight always finish. Offline agents
 * spend no budget. Agent failures are outcomes, never exceptions; the caller
 * decides the exit code.
 */
import { type Emit, silent } from '../events.js';
import { pause } from '../util/retry.js';
import { plural, upgradeAgent, type AgentJob } from './attempt.js';
import { planWaves } from './policy.js';
import type { AgentOutcome, AgentRecord, AgentTransport, ResolvedPolicy, Rollout, Wave } from './types.js';

export { formatMs } from './attempt.js';

export interface RolloutOptions {
  agents: AgentRecord[];
  target: string;
  policy: ResolvedPolicy;
  transport: AgentTransport;
  emit?: Emit;
  signal?: AbortSignal;
  /** wait before the first retry; doubles per retry with jitter, capped at 30 s (default 1000; util/retry.ts) */
  backoffMs?: number;
  /** agents an earlier run may have sent the command to: the transport looks before sending another */
  inDoubt?: ReadonlySet<string>;
  /** an earlier run's canary passed and paused; `continue` runs the rest: no canary, no pause */
  canaryDone?: boolean;
  /** called right before the first command to an agent (the caller writes it down) */
  onStart?: (a: AgentRecord) => void;
  /** awaited after each attempted agent finishes, in completion order (the caller persists progress) */
  onOutcome?: (o: AgentOutcome) => void | Promise<void>;
}

/** progress events at most this often: a 10,000-agent fleet must not print 10,000 lines a second */
const PROGRESS_MS = 100;

export async function runRollout(o: RolloutOptions): Promise<Rollout> {
  const { target, policy, signal } = o;
  const emit = o.emit ?? silent;
  const job: AgentJob = { target, policy, transport: o.transport, emit, signal, backoffMs: o.backoffMs };
  const outcomes: AgentOutcome[] = [];
  const current = o.agents.filter((a) => a.version === target);
  for (const a of current) outcomes.push({ id: a.id, address: a.address, status: 'skipped', version: a.version ?? undefined, attempts: 0, ms: 0 });
  if (current.length > 0) emit({ type: 'log', level: 'info', message: `${plural(current.length, 'agent')} already on ${target}, skipped` });
  const todo = o.agents.filter((a) => a.version !== target);
  const waves = planWaves(todo, o.canaryDone ? { ...policy, canary: 0 } : policy);
  const n = { upgraded: 0, failed: 0, offline: 0, consecutive: 0, done: 0 };
  let lastProgress = 0;
  let stopped: string | undefined;
  let broken: unknown;

  const progress = (force = false) => {
    const now = Date.now();
    if (!force && now - lastProgress < PROGRESS_MS) return;
    lastProgress = now;
    emit({ type: 'progress', task: 'agents', done: n.done, total: todo.length, unit: 'items', upgraded: n.upgraded, failed: n.failed, offline: n.offline });
  };

  /** why no further agent may start, if any */
  const budget = (): string | undefined => {
    if (signal?.aborted) return 'interrupted';
    if (n.failed > policy.maxFailures) return `${plural(n.failed, 'agent')} failed, more than max_failures ${policy.maxFailures}`;
    if (n.consecutive >= policy.maxConsecutive) return `${plural(n.consecutive, 'agent')} failed in a row (max_consecutive_failures ${policy.maxConsecutive})`;
    return undefined;
  };

  let inFlight = 0;
  let freed: (() => void) | undefined;
  const slotFreed = () => new Promise<void>((r) => (freed = r));
  const running = new Set<Promise<void>>();

  async function one(agent: AgentRecord): Promise<void> {
    try {
      o.onStart?.(agent);
      const outcome = await upgradeAgent(job, agent, o.inDoubt?.has(agent.id) ?? false);
      if (!outcome) return; // interrupted: neither upgraded nor failed, the log says "in doubt"
      n.done++;
      if (outcome.status === 'upgraded') {
        n.upgraded++;
        n.consecutive = 0;
      } else if (outcome.status === 'failed') {
        n.failed++;
        n.consecutive++;
      } else n.offline++;
      outcomes.push(outcome);
      progress(n.done === todo.length);
      await o.onOutcome?.(outcome);
    } catch (e) {
      broken ??= e; // onOutcome failed: the caller's bug, not an agent's
    }
  }

  function start(agent: AgentRecord): void {
    inFlight++;
    const p: Promise<void> = one(agent).finally(() => {
      inFlight--;
      running.delete(p);
      freed?.();
    });
    running.add(p);
  }

  const drain = () => Promise.all([...running]);

  /** starts the wave's agents as slots free up; false when the budget says stop */
  async function fill(wave: Wave, limit: number): Promise<boolean> {
    for (const [i, agent] of wave.agents.entries()) {
      while (inFlight >= limit) await slotFreed();
      stopped = budget() ?? (broken ? 'the progress could not be recorded' : undefined);
      if (stopped) return false;
      // a wave begins with its first agent (with no delay, the previous one may still be running)
      if (i === 0) emit({ type: 'log', level: 'info', message: `wave ${++started}/${waves.length} (${wave.kind}): ${plural(wave.agents.length, 'agent')}` });
      start(agent);
    }
    return true;
  }

  let started = 0;
  for (const wave of waves) {
    if (started > 0 && policy.delayMs > 0) {
      await drain();
      await pause(policy.delayMs, signal);
    }
    if ((stopped = budget())) break;
    const before = outcomes.length;
    // a hand-made policy without concurrency runs a batch at once, as before concurrency existed
    if (!(await fill(wave, Math.max(1, policy.concurrency ?? policy.batch)))) break;
    if (wave.kind !== 'canary') continue;
    await drain();
    const canary = outcomes.slice(before);
    const failure = canary.find((x) => x.status === 'failed');
    if (failure) {
      stopped = `the canary failed: ${failure.id}: ${failure.error}`;
      break;
    }
    if ((stopped = budget())) break;
    if (!canary.some((x) => x.status === 'upgraded')) {
      stopped = 'every canary agent is offline: nothing was tested';
      break;
    }
    if (policy.pause && waves.length > 1) break;
  }
  await drain();
  if (broken) throw broken;
  progress(true);
  // the last agents may have spent the budget too: the rollout did not go as the policy wants
  stopped ??= budget();

  const total = o.agents.length;
  const pending = total - outcomes.length;
  const paused = !stopped && pending > 0 && policy.pause && !o.canaryDone;
  return {
    target,
    total,
    upgraded: n.upgraded,
    skipped: current.length,
    failed: n.failed,
    offline: n.offline,
    pending,
    ...(stopped ? { stopped } : {}),
    ...(paused ? { paused } : {}),
    waves: started,
    outcomes,
  };
}
