/**
 * The rollout engine's maths with an in-test transport scripted per agent (the HTTP
 * transport against real agents is tested on its own). No timed assertions: the
 * timeline records what happened in which order.
 */
import { expect, test } from 'vitest';
import { runRollout, type RolloutOptions } from '../../src/agents/engine.js';
import { AgentError, type AgentRecord, type AgentTransport, type ResolvedPolicy, type Rollout, type UpgradeHow } from '../../src/agents/types.js';
import type { UphopEvent } from '../../src/events.js';

const TARGET = '4.1.1';
type Script = 'ok' | 'fatal' | 'hang' | 'offline' | 'slow' | { fail: number } | { version: string };

/** upgrades after a short pause unless scripted otherwise; records every call in one timeline */
class ScriptedTransport implements AgentTransport {
  timeline: string[] = [];
  calls: { id: string; at: number }[] = [];
  attempts: Record<string, number> = {};
  inFlight = 0;
  maxInFlight = 0;
  onStart?: (id: string) => void;
  /** ids of the attempts told the agent may already have the command */
  inDoubt: string[] = [];
  constructor(private script: Record<string, Script> = {}) {}

  async upgrade(agent: AgentRecord, signal: AbortSignal, how?: UpgradeHow): Promise<string> {
    if (how?.inDoubt) this.inDoubt.push(agent.id);
    const n = (this.attempts[agent.id] = (this.attempts[agent.id] ?? 0) + 1);
    this.calls.push({ id: agent.id, at: performance.now() });
    this.timeline.push(`start ${agent.id}`);
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    this.onStart?.(agent.id);
    try {
      const s = this.script[agent.id] ?? 'ok';
      await new Promise((r) => setTimeout(r, s === 'slow' ? 150 : 5));
      if (s === 'offline') throw new AgentError(`${agent.id} could not be reached (ECONNREFUSED)`, true, true);
      if (s === 'hang') await new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
      if (s === 'fatal') throw new AgentError(`${agent.id} refused the token (401)`, false);
      if (typeof s === 'object' && 'fail' in s && n <= s.fail) throw new Error(`connection refused (try ${n})`);
      return typeof s === 'object' && 'version' in s ? s.version : TARGET;
    } finally {
      this.inFlight--;
      this.timeline.push(`end ${agent.id}`);
    }
  }
}

const fleet = (n: number, version = '4.0.1'): AgentRecord[] =>
  Array.from({ length: n }, (_, i) => ({ id: `a${String(i).padStart(2, '0')}`, address: `http://127.0.0.1:${7000 + i}`, version, state: 'online' }));
const policy = (p: Partial<ResolvedPolicy> = {}): ResolvedPolicy => ({
  canary: 1,
  batch: 2,
  concurrency: p.batch ?? 2,
  delayMs: 0,
  maxFailures: 0,
  maxConsecutive: Infinity,
  pause: false,
  timeoutMs: 5000,
  retries: 2,
  ...p,
});

async function roll(agents: AgentRecord[], p: Partial<ResolvedPolicy>, t = new ScriptedTransport(), extra: Partial<RolloutOptions> = {}) {
  const events: UphopEvent[] = [];
  const persisted: string[] = [];
  const r = await runRollout({
    agents,
    target: TARGET,
    policy: policy(p),
    transport: t,
    backoffMs: 1,
    emit: (e) => {
      events.push(e);
      if (e.type === 'log') t.timeline.push(`log ${e.message}`);
    },
    onOutcome: async (o) => {
      await new Promise((res) => setTimeout(res, 1));
      persisted.push(o.id);
    },
    ...extra,
  });
  checkCounts(r);
  // onOutcome ran (and was awaited) once per attempted agent, in completion order
  expect(persisted).toEqual(r.outcomes.filter((o) => o.status !== 'skipped').map((o) => o.id));
  // progress is throttled, but counts up and ends with every attempted agent
  const progress = events.filter((e) => e.type === 'progress') as { done: number; total: number; upgraded: number; failed: number; offline: number }[];
  expect(progress.map((e) => e.done)).toEqual([...progress.map((e) => e.done)].sort((a, b) => a - b));
  expect(progress.at(-1)).toMatchObject({ done: persisted.length, upgraded: r.upgraded, failed: r.failed, offline: r.offline });
  const logs = events.filter((e) => e.type === 'log') as { level: string; message: string }[];
  return { r, t, events, logs: logs.map((e) => `${e.level}: ${e.message}`) };
}

function checkCounts(r: Rollout) {
  expect(r.upgraded + r.skipped + r.failed + r.offline + r.pending).toBe(r.total);
  expect(r.outcomes.length).toBe(r.total - r.pending);
  for (const s of ['upgraded', 'skipped', 'failed', 'offline'] as const) expect(r.outcomes.filter((o) => o.status === s).length).toBe(r[s]);
}
const byId = (r: Rollout) => Object.fromEntries(r.outcomes.map((o) => [o.id, o]));

test('every agent is upgraded, the canary first, then batches in order', async () => {
  const { r, t, logs } = await roll(fleet(5).reverse(), { canary: 1, batch: 2, delayMs: 20 });
  expect(r).toMatchObject({ total: 5, upgraded: 5, failed: 0, pending: 0, skipped: 0, waves: 3 });
  expect(r.stopped).toBeUndefined();
  expect(r.outcomes.every((o) => o.status === 'upgraded' && o.version === TARGET && o.attempts === 1)).toBe(true);
  expect(logs.filter((l) => l.includes('wave'))).toEqual(['info: wave 1/3 (canary): 1 agent', 'info: wave 2/3 (batch): 2 agents', 'info: wave 3/3 (batch): 2 agents']);
  // each wave starts only after the previous one has finished (and its delay passed)
  const at = (s: string) => t.timeline.indexOf(s);
  expect(t.calls[0].id).toBe('a00');
  expect(at('end a00')).toBeLessThan(at('log wave 2/3 (batch): 2 agents'));
  expect(at('log wave 2/3 (batch): 2 agents')).toBeLessThan(Math.min(at('start a01'), at('start a02')));
  expect(Math.max(at('end a01'), at('end a02'))).toBeLessThan(at('log wave 3/3 (batch): 2 agents'));
  expect(at('log wave 3/3 (batch): 2 agents')).toBeLessThan(Math.min(at('start a03'), at('start a04')));
});

test('agents already on the target are skipped and never contacted', async () => {
  const agents = [...fleet(3), ...fleet(2, TARGET).map((a) => ({ ...a, id: `b${a.id}` }))];
  const { r, t } = await roll(agents, {});
  expect(r).toMatchObject({ total: 5, upgraded: 3, skipped: 2, failed: 0, pending: 0 });
  expect(t.calls.map((c) => c.id).sort()).toEqual(['a00', 'a01', 'a02']);
  expect(byId(r).ba00).toMatchObject({ status: 'skipped', version: TARGET, attempts: 0 });
});

test('no more agents are in flight than the batch size, the canary included', async () => {
  const { r, t } = await roll(fleet(14), { canary: 5, batch: 3 });
  expect(r.upgraded).toBe(14);
  expect(t.maxInFlight).toBe(3);
});

test('retryable failures are retried with backoff; a non-retryable one and a wrong version are not', async () => {
  const t = new ScriptedTransport({ a01: { fail: 2 }, a02: { fail: 3 }, a03: 'fatal', a04: { version: '4.0.1' } });
  const { r, logs } = await roll(fleet(5), { canary: 1, batch: 4, maxFailures: 5 }, t);
  expect(r).toMatchObject({ upgraded: 2, failed: 3, pending: 0 });
  const o = byId(r);
  expect(o.a01).toMatchObject({ status: 'upgraded', attempts: 3 });
  expect(o.a02).toMatchObject({ status: 'failed', attempts: 3, error: 'connection refused (try 3)' });
  expect(o.a03).toMatchObject({ status: 'failed', attempts: 1, error: 'a03 refused the token (401)' });
  expect(o.a04).toMatchObject({ status: 'failed', attempts: 1, version: '4.0.1', error: 'reported 4.0.1 after the upgrade, expected 4.1.1' });
  expect(t.attempts).toEqual({ a00: 1, a01: 3, a02: 3, a03: 1, a04: 1 });
  expect(logs.filter((l) => l.startsWith('warn:'))).toHaveLength(3);
});

test('an attempt that hangs times out, and each retry gets its own timeout', async () => {
  const t = new ScriptedTransport({ a01: 'hang' });
  const { r } = await roll(fleet(2), { timeoutMs: 50, retries: 2, maxFailures: 1 }, t);
  expect(byId(r).a01).toMatchObject({ status: 'failed', attempts: 3, error: 'did not report 4.1.1 within 50ms' });
  expect(r).toMatchObject({ upgraded: 1, failed: 1, pending: 0 });
  expect(r.stopped).toBeUndefined();
});

test('a failed canary stops the rollout before any batch', async () => {
  const { r, t } = await roll(fleet(6), { canary: 1, maxFailures: 10 }, new ScriptedTransport({ a00: 'fatal' }));
  expect(r).toMatchObject({ upgraded: 0, failed: 1, pending: 5, waves: 1, stopped: 'the canary failed: a00: a00 refused the token (401)' });
  expect(t.calls.map((c) => c.id)).toEqual(['a00']);
});

test('the failure budget counts across waves: one more failure than max_failures starts no further agent', async () => {
  // one failure in each of the waves 2, 3 and 4 (batch 3): the third one spends the budget of 2
  const t = new ScriptedTransport({ a02: 'fatal', a05: 'fatal', a08: 'fatal' });
  const { r } = await roll(fleet(14), { canary: 1, batch: 3, concurrency: 1, maxFailures: 2 }, t);
  expect(r).toMatchObject({ upgraded: 6, failed: 3, pending: 5, stopped: '3 agents failed, more than max_failures 2' });
  expect(Object.keys(t.attempts).sort()).toEqual(fleet(9).map((a) => a.id));
});

test('agents in flight finish when the budget is spent; none start after', async () => {
  const t = new ScriptedTransport({ a01: 'fatal', a02: 'fatal' });
  const { r } = await roll(fleet(12), { canary: 1, batch: 4, maxFailures: 1 }, t);
  expect(r).toMatchObject({ failed: 2, stopped: '2 agents failed, more than max_failures 1' });
  // a01..a04 were in flight together; at most one more started before the second failure came in
  expect(Object.keys(t.attempts).length).toBeLessThanOrEqual(6);
  expect(r.pending).toBe(12 - Object.keys(t.attempts).length);
});

test('max_consecutive_failures: failures in a row stop it, a success in between resets the count', async () => {
  const t = new ScriptedTransport({ a02: 'fatal', a03: 'fatal', a05: 'fatal', a06: 'fatal', a07: 'fatal' });
  const { r } = await roll(fleet(12), { canary: 1, batch: 3, concurrency: 1, maxFailures: 100, maxConsecutive: 3 }, t);
  expect(r).toMatchObject({ upgraded: 3, failed: 5, pending: 4, stopped: '3 agents failed in a row (max_consecutive_failures 3)' });
});

test('offline agents are outcomes of their own: no budget spent, the rollout goes on', async () => {
  const t = new ScriptedTransport({ a02: 'offline', a04: 'offline' });
  const { r } = await roll(fleet(6), { maxFailures: 0, retries: 1 }, t);
  expect(r).toMatchObject({ upgraded: 4, failed: 0, offline: 2, pending: 0 });
  expect(r.stopped).toBeUndefined();
  expect(byId(r).a02).toMatchObject({ status: 'offline', attempts: 2, error: 'a02 could not be reached (ECONNREFUSED)' });
  // a canary that is only offline tested nothing
  const { r: dark } = await roll(fleet(4), { canary: 1 }, new ScriptedTransport({ a00: 'offline' }));
  expect(dark).toMatchObject({ offline: 1, pending: 3, stopped: 'every canary agent is offline: nothing was tested' });
});

test('a sliding window: a slow agent does not hold back the next wave when there is no delay', async () => {
  const t = new ScriptedTransport({ a01: 'slow' });
  const { r } = await roll(fleet(8), { canary: 1, batch: 2, concurrency: 2 }, t);
  expect(r.upgraded).toBe(8);
  const at = (x: string) => t.timeline.indexOf(x);
  // a01 (wave 2) is still running when the agents of waves 3 and 4 start and end
  for (const id of ['a03', 'a04', 'a05', 'a06', 'a07']) expect(at(`end ${id}`)).toBeLessThan(at('end a01'));
  expect(t.maxInFlight).toBe(2);
});

test('pause: the canary runs, then the rollout stops as paused; canaryDone runs the rest without canary or pause', async () => {
  const t = new ScriptedTransport();
  const { r } = await roll(fleet(7), { canary: 2, batch: 2, pause: true }, t);
  expect(r).toMatchObject({ upgraded: 2, pending: 5, paused: true, waves: 1 });
  expect(r.stopped).toBeUndefined();
  const rest = fleet(7).map((a, i) => (i < 2 ? { ...a, version: TARGET } : a));
  const { r: cont, logs } = await roll(rest, { canary: 2, batch: 2, pause: true }, t, { canaryDone: true });
  expect(cont).toMatchObject({ upgraded: 5, skipped: 2, pending: 0, waves: 3 });
  expect(cont.paused).toBeUndefined();
  expect(logs.filter((l) => l.includes('wave'))[0]).toBe('info: wave 1/3 (batch): 2 agents');
});

test('in-doubt agents and retries are told the command may have arrived; onStart comes before the first command', async () => {
  const t = new ScriptedTransport({ a02: { fail: 1 } });
  const started: string[] = [];
  t.onStart = (id) => expect(started).toContain(id);
  const { r } = await roll(fleet(4), { batch: 3 }, t, { inDoubt: new Set(['a01']), onStart: (a) => started.push(a.id) });
  expect(r.upgraded).toBe(4);
  expect(t.inDoubt.sort()).toEqual(['a01', 'a02']);
  expect(started.sort()).toEqual(['a00', 'a01', 'a02', 'a03']);
});

test('failures up to max_failures do not stop the rollout', async () => {
  const { r } = await roll(fleet(5), { maxFailures: 1 }, new ScriptedTransport({ a03: 'fatal' }));
  expect(r).toMatchObject({ upgraded: 4, failed: 1, pending: 0, waves: 3 });
  expect(r.stopped).toBeUndefined();
});

test('an abort interrupts in-flight attempts and leaves them and the rest pending', async () => {
  const ac = new AbortController();
  const t = new ScriptedTransport({ a01: 'hang', a02: 'hang' });
  t.onStart = (id) => {
    if (id === 'a02') setTimeout(() => ac.abort(), 10);
  };
  const { r } = await roll(fleet(7), { canary: 1, batch: 2 }, t, { signal: ac.signal });
  // an interrupted agent has no outcome: the command may have reached it (the log keeps it "in doubt")
  expect(r).toMatchObject({ upgraded: 1, failed: 0, pending: 6, waves: 2, stopped: 'interrupted' });
  expect(byId(r).a01).toBeUndefined();
  expect(t.attempts).toEqual({ a00: 1, a01: 1, a02: 1 });
});

test('an abort during the delay between waves stops at once, and one before the start tries nobody', async () => {
  const ac = new AbortController();
  const r = await runRollout({ agents: fleet(4), target: TARGET, policy: policy({ delayMs: 600_000 }), transport: new ScriptedTransport(), signal: ac.signal, onOutcome: () => ac.abort() });
  checkCounts(r);
  expect(r).toMatchObject({ upgraded: 1, pending: 3, waves: 1, stopped: 'interrupted' });
  const t = new ScriptedTransport();
  const { r: early } = await roll(fleet(3), {}, t, { signal: AbortSignal.abort() });
  expect(early).toMatchObject({ upgraded: 0, pending: 3, waves: 0, stopped: 'interrupted' });
  expect(t.calls).toEqual([]);
}, 10_000);
