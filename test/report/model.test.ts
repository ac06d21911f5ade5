/**
 * The report model on synthetic event streams (no build, no services): an upgrade
 * of two hops with agents, a failed hop whose rollback closes the downtime window,
 * and hostile text that must come out escaped. Seeded, so a failure reproduces.
 */
import { describe, expect, it } from 'vitest';
import { buildReport } from '../../src/report/model.js';
import { reportHtml } from '../../src/report/html.js';
import type { TimedEvent } from '../../src/report/record.js';
import { withFreePorts } from '../../src/sandbox/ports.js';
import { redactValues, redactText } from '../../src/support/redact.js';

const seed = Number(process.env.SEED ?? Date.now() % 100000);
let state = seed;
const rnd = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;

function stream(steps: [string, string, number][], t0 = 1000): TimedEvent[] {
  let t = t0;
  const out: TimedEvent[] = [];
  for (const [step, status, ms] of steps) {
    if (status === 'begin') out.push({ type: 'step', step, status: 'begin', t } as TimedEvent);
    else {
      t += ms;
      out.push({ type: 'step', step, status, ms, t } as TimedEvent);
    }
  }
  return out;
}

describe(`report model (seed ${seed})`, () => {
  it('splits an upgrade into hops, one downtime window each, closed by the health checks', () => {
    const hop = (n: number) => {
      const d = () => Math.round(rnd() * 200) + 1;
      return [
        [`hop ${n}/2 x -> y`, 'begin', 0],
        ['stop services', 'begin', 0],
        ['stop services', 'end', d()],
        ['migrate schema', 'begin', 0],
        ['migrate schema', 'end', d()],
        ['start services', 'begin', 0],
        ['start services', 'end', d()],
        ['health checks', 'begin', 0],
        ['health checks', 'end', d()],
        [`hop ${n}/2 x -> y`, 'end', 1],
      ] as [string, string, number][];
    };
    const events = stream([...hop(1), ...hop(2)]);
    events.push(
      { type: 'log', level: 'info', message: 'wave 1/2 (canary): 1 agent', t: 5000 } as TimedEvent,
      { type: 'progress', task: 'agents', done: 1, total: 3, t: 5100 } as TimedEvent,
      { type: 'progress', task: 'agents', done: 3, total: 3, t: 5300 } as TimedEvent,
    );
    const r = buildReport({
      kind: 'upgrade',
      product: 'p',
      from: '1',
      to: '3',
      outcome: 'succeeded',
      started: 1000,
      finished: 6000,
      events,
      agents: { upgraded: 3, failed: 0, total: 3, message: 'ok' },
    });
    expect(r.hops.map((h) => h.index)).toEqual([1, 2]);
    expect(r.downtime).toHaveLength(2);
    for (const w of r.downtime) {
      const stop = r.steps.find((s) => s.hop === w.hop && s.step === 'stop services')!;
      const health = r.steps.find((s) => s.hop === w.hop && s.step === 'health checks')!;
      expect(w).toMatchObject({ start: stop.start, end: health.end, closed: true });
    }
    expect(r.downtimeMs).toBe(r.downtime.reduce((n, w) => n + w.end - w.start, 0));
    expect(r.rollout).toMatchObject({ upgraded: 3, total: 3, waves: [{ label: 'wave 1/2 (canary): 1 agent' }] });
    const html = reportHtml(r);
    expect(html.match(/<rect class="downtime"/g)).toHaveLength(2);
    expect(html).toContain('aria-label="agents upgraded over time"');
  });

  it('a failed step is an error; the undo of "stop services" (old version back) closes the window', () => {
    const events = stream([
      ['stop services', 'begin', 0],
      ['stop services', 'end', 10],
      ['migrate schema', 'begin', 0],
      ['migrate schema', 'fail', 20],
      ['stop services', 'undo', 30],
    ]);
    const r = buildReport({ kind: 'install', product: 'p', from: '1', to: '2', outcome: 'failed', started: 1000, finished: 2000, events, error: { code: 'X', message: 'boom', hint: 'fix it' } });
    expect(r.downtime[0]).toMatchObject({ closed: true, end: 60 });
    expect(r.errors.map((e) => e.code)).toEqual(['STEP_FAILED', 'X']);
    expect(r.steps.at(-1)).toMatchObject({ step: 'undo stop services', status: 'undo', start: 30, end: 60 });
  });

  it('a rollback of a completed hop: undo bars, downs, downtime from the new services stopping to the old ones back', () => {
    const events = stream([
      ['start services', 'undo', 40],
      ['migrate schema', 'undo', 25],
      ['stop services', 'undo', 35],
    ]);
    // the down ran inside the undo of "migrate schema" (1040..1065)
    events.splice(1, 0, { type: 'migration', name: '2/001-x.mjs', phase: 'main', status: 'down', ms: 20, t: 1060 } as TimedEvent);
    const r = buildReport({ kind: 'rollback', product: 'beacon', from: '4.2.0', to: '4.1.1', outcome: 'succeeded', started: 1000, finished: 1200, events });
    expect(r.title).toBe('Rollback of beacon 4.2.0 -> 4.1.1: succeeded');
    expect(r.steps.map((s) => [s.step, s.status])).toEqual([
      ['undo start services', 'undo'],
      ['undo migrate schema', 'undo'],
      ['undo stop services', 'undo'],
    ]);
    // "start services" was undone over 0..40: the new services stopped at 0; the old ones were back at 100
    expect(r.downtime).toEqual([{ hop: 0, label: 'downtime', start: 0, end: 100, closed: true }]);
    expect(r.migrations).toMatchObject([{ name: '2/001-x.mjs', status: 'down', start: 40, ms: 20 }]);
    const html = reportHtml(r);
    expect(html).toContain('Rollback of beacon 4.2.0 → 4.1.1');
    expect(html).toContain('reverted<b>1</b>');
    // a fresh install rolled back (--force): nothing comes back, the window stays open
    const gone = buildReport({ kind: 'rollback', product: 'beacon', from: '4.2.0', to: 'none', outcome: 'succeeded', started: 1000, finished: 1200, events });
    expect(gone.downtime).toMatchObject([{ start: 0, end: 200, closed: false }]);
  });

  it('a resume whose services were down since the crash: the window opens when the run began', () => {
    const events = stream(
      [
        ['start services', 'begin', 0],
        ['start services', 'end', 30],
        ['health checks', 'begin', 0],
        ['health checks', 'end', 20],
      ],
      1100,
    );
    const r = buildReport({ kind: 'resume', product: 'beacon', from: '4.0.1', to: '4.1.1', outcome: 'succeeded', started: 1000, finished: 1300, events });
    expect(r.title).toBe('Resumed install of beacon 4.0.1 -> 4.1.1: succeeded');
    expect(r.downtime).toEqual([{ hop: 0, label: 'downtime', start: 0, end: 150, closed: true }]);
    // a resume after the health checks (services up) has no window
    const after = stream([
      ['record version', 'begin', 0],
      ['record version', 'end', 5],
    ]);
    expect(buildReport({ kind: 'resume', product: 'p', from: '1', to: '2', outcome: 'succeeded', started: 1000, finished: 1010, events: after }).downtime).toEqual([]);
  });

  it('an agent rollout: the failed count over time is drawn beside the done count', () => {
    const events = [
      { type: 'log', level: 'info', message: 'wave 1/2 (canary): 1 agent', t: 1000 },
      { type: 'progress', task: 'agents', done: 1, total: 3, upgraded: 1, failed: 0, t: 1100 },
      { type: 'log', level: 'info', message: 'wave 2/2 (batch): 2 agents', t: 1150 },
      { type: 'progress', task: 'agents', done: 3, total: 3, upgraded: 2, failed: 1, t: 1300 },
    ] as TimedEvent[];
    const r = buildReport({
      kind: 'agents',
      product: 'beacon',
      from: '3.4.2',
      to: '4.0.1',
      outcome: 'succeeded',
      started: 1000,
      finished: 1400,
      events,
      agents: { upgraded: 2, failed: 1, total: 3, message: 'm' },
    });
    expect(r.title).toBe('Agent rollout of beacon agents 3.4.2 -> 4.0.1: succeeded');
    expect(r.rollout?.points.at(-1)).toEqual({ t: 300, done: 3, total: 3, upgraded: 2, failed: 1 });
    expect(r.rollout?.waves).toHaveLength(2);
    expect(reportHtml(r)).toContain('<path class="failed"');
  });

  it('escapes hostile text from events in the page', () => {
    const evil = `<script>alert(1)</script>"'&<img src=x onerror=alert(1)>`;
    const events = stream([
      [evil, 'begin', 0],
      [evil, 'fail', 5],
    ]);
    const html = reportHtml(
      buildReport({ kind: 'install', product: evil, from: '1', to: '2', outcome: 'failed', started: 1000, finished: 1100, events, error: { code: 'E', message: evil, hint: evil } }),
    );
    expect(html).not.toMatch(/<script|<img/i);
    expect(html).toContain('&lt;script&gt;');
  });
});

describe('the port rule of sandboxes and rehearsals', () => {
  it('moves every key ending in "port" outside db, keeps 0 and non-ports, gives distinct free ports', async () => {
    let next = 40000;
    const { values, ports } = await withFreePorts(
      { rest_port: 8080, httpPort: '9090', port: 0, db: { connection: { port: 5432 } }, nested: { admin: { port: 7000 }, portal: 'x', sport: 'ski' }, list: [{ port: 1 }] },
      async () => next++,
    );
    expect(values).toEqual({ rest_port: 40000, httpPort: 40001, port: 0, db: { connection: { port: 5432 } }, nested: { admin: { port: 40002 }, portal: 'x', sport: 'ski' }, list: [{ port: 40003 }] });
    expect(ports.map((p) => p.key)).toEqual(['rest_port', 'httpPort', 'nested.admin.port', 'list.0.port']);
  });
});

describe('support-bundle redaction', () => {
  it('masks secret keys and URL passwords, and their occurrences in text', () => {
    const values = { agents: { token: 'tok-123456' }, db: { connection: { url: 'postgres://u:pa%40ss@h/d', password: 'hunter22' } }, apiKey: 'k-999999', port: 5 };
    expect(redactValues(values)).toEqual({ agents: { token: '***' }, db: { connection: { url: 'postgres://u:***@h/d', password: '***' } }, apiKey: '***', port: 5 });
    const text = redactText('token tok-123456 pw hunter22 url postgres://u:pa%40ss@h/d other amqp://g:zzz@b', values);
    for (const s of ['tok-123456', 'hunter22', 'pa%40ss', 'pa@ss', 'zzz']) expect(text).not.toContain(s);
  });
});
