/**
 * What a person sees of a fleet: the progress line during a rollout on a TTY
 * (counts and rate from the engine's progress events), nothing of it off a TTY,
 * and the summary of `uphop agents` with failures grouped by reason.
 */
import { expect, test } from 'vitest';
import { reasonOf } from '../../src/agents/fleet-view.js';
import { listText, rolloutText } from '../../src/cli/commands/agents.js';
import { createRenderer } from '../../src/cli/render.js';

test('a rollout on a TTY shows one progress line with counts and the rate; off a TTY nothing', () => {
  let tty = '';
  let clock = 0;
  const emit = createRenderer(
    {
      write: (t) => {
        tty += t;
      },
      isTTY: true,
    },
    { json: false, verbose: false, now: () => clock },
  );
  emit({ type: 'progress', task: 'agents', done: 0, total: 10_000, unit: 'items', upgraded: 0, failed: 0, offline: 0 });
  clock = 2000;
  emit({ type: 'progress', task: 'agents', done: 500, total: 10_000, unit: 'items', upgraded: 490, failed: 4, offline: 6 });
  const last = tty.split('\r\x1b[2K').pop()!;
  expect(last).toMatch(/^agents \[#+\.+\] {3}5% 500\/10000 250\/s \(490 upgraded, 4 failed, 6 offline\)$/);
  let plain = '';
  const quiet = createRenderer(
    {
      write: (t) => {
        plain += t;
      },
      isTTY: false,
    },
    { json: false, verbose: false },
  );
  quiet({ type: 'progress', task: 'agents', done: 1, total: 2, unit: 'items', upgraded: 1, failed: 0, offline: 0 });
  expect(plain).toBe('');
});

test('failures are grouped by reason, whatever agent and address they name', () => {
  expect(reasonOf('agent a7 at http://10.0.0.7:7070 rejected the token')).toBe('rejected the token');
  expect(reasonOf('agent b2 (amqp:b2) has no queue on the broker (is it running with --amqp?)')).toBe('has no queue on the broker (is it running with --amqp?)');
  expect(reasonOf('did not report 4.2.0 within 2m')).toBe('did not report 4.2.0 within 2m');
  const failures = Array.from({ length: 30 }, (_, i) => ({ status: 'failed' as const, reason: `reason ${i}`, agents: 30 - i, example: `a${i}` }));
  const text = listText({
    root: '/m',
    product: 'p',
    target: '2.0.0',
    agents: [],
    summary: {
      total: 10_000,
      current: 9000,
      byVersion: [
        { version: '2.0.0', state: 'ok', agents: 9000 },
        { version: '1.0.0', state: 'failed', agents: 1000 },
      ],
      failures,
    },
  });
  expect(text).toContain('10000 agent(s); 9000 on 2.0.0');
  expect(text).toMatch(/1\.0\.0 +failed +1000/);
  expect(text).toContain('30 failed: reason 0 (e.g. a0)');
  expect(text).toContain('... and 10 other reason(s)');
  expect(text).toContain('uphop agents --all lists every agent');
});

test('a stopped rollout of a big fleet names its first failures only', () => {
  const outcomes = Array.from({ length: 50 }, (_, i) => ({ id: `a${i}`, address: `http://h${i}:1`, status: 'failed' as const, attempts: 1, ms: 1, error: 'x' }));
  const text = rolloutText({
    outcome: 'stopped',
    product: 'p',
    target: '2',
    bundle: 'b',
    message: 'stopped.',
    rollout: { target: '2', total: 50, upgraded: 0, skipped: 0, failed: 50, offline: 0, pending: 0, waves: 1, outcomes },
  });
  expect(text.split('\n').filter((l) => l.includes('failed after'))).toHaveLength(20);
  expect(text).toContain('... and 30 more (uphop agents --status failed lists them)');
});
