/** The rollout maths: a policy resolved against a fleet, and the fleet cut into waves. */
import { expect, test } from 'vitest';
import type { RolloutPolicy } from '../../src/bundle/manifest.js';
import { UphopError } from '../../src/errors.js';
import { planWaves, resolvePolicy, withOverrides } from '../../src/agents/policy.js';
import type { AgentRecord, ResolvedPolicy } from '../../src/agents/types.js';

const DEFAULTS: ResolvedPolicy = { canary: 1, batch: 10, concurrency: 10, delayMs: 0, maxFailures: 0, maxConsecutive: Infinity, pause: false, timeoutMs: 120_000, retries: 2 };

test.each<[string, RolloutPolicy, number, Partial<ResolvedPolicy>]>([
  ['the defaults', {}, 10, {}],
  ['a default canary of 10% rounds up', {}, 25, { canary: 3 }],
  ['a default canary is at least one agent', {}, 3, { canary: 1 }],
  ['an empty fleet has no canary', {}, 0, { canary: 0 }],
  ['a canary percentage of the fleet', { canary: '20%' }, 50, { canary: 10 }],
  ['a fractional canary percentage rounds up', { canary: '12.5%' }, 10, { canary: 2 }],
  ['12.3% of 1000 is exactly 123 (no float creep)', { canary: '12.3%' }, 1000, { canary: 123 }],
  ['10% of 30 is exactly 3', { canary: '10%' }, 30, { canary: 3 }],
  ['a canary count', { canary: 4 }, 50, { canary: 4 }],
  ['a canary of 0 still tries one agent first', { canary: 0 }, 50, { canary: 1 }],
  ['a canary of 0% still tries one agent first', { canary: '0%' }, 50, { canary: 1 }],
  ['a canary bigger than the fleet is the fleet', { canary: 40 }, 7, { canary: 7 }],
  ['a canary of 100%', { canary: '100%' }, 7, { canary: 7 }],
  ['batch, delay, timeout and retries as written', { batch: 3, delay: '5s', timeout: '500ms', retries: 0 }, 10, { batch: 3, concurrency: 3, delayMs: 5000, timeoutMs: 500, retries: 0 }],
  ['a batch of 1', { batch: 1 }, 10, { batch: 1, concurrency: 1 }],
  ['concurrency apart from the batch', { batch: 100, concurrency: 20 }, 10, { batch: 100, concurrency: 20 }],
  ['pause and max_consecutive_failures', { pause: true, max_consecutive_failures: 3 }, 10, { pause: true, maxConsecutive: 3 }],
  ['max_failures as a count', { max_failures: 3 }, 10, { maxFailures: 3 }],
  ['max_failures as a percentage rounds down (5% of 10 is 0)', { max_failures: '5%' }, 10, { maxFailures: 0 }],
  ['max_failures 5% of 100 is 5', { max_failures: '5%' }, 100, { canary: 10, maxFailures: 5 }],
  ['max_failures 15% of 10 is 1', { max_failures: '15%' }, 10, { maxFailures: 1 }],
  ['a delay of 0s', { delay: '0s' }, 10, { delayMs: 0 }],
])('%s', (_name, policy, fleet, expected) => {
  expect(resolvePolicy(policy, fleet)).toEqual({ ...DEFAULTS, ...expected });
});

const refusal = (policy: RolloutPolicy) => {
  try {
    resolvePolicy(policy, 10);
  } catch (e) {
    return e as UphopError;
  }
  throw new Error('expected BAD_ROLLOUT_POLICY');
};

test.each<[string, Record<string, unknown>]>([
  ['canary', { canary: 'abc%' }],
  ['canary', { canary: '150%' }],
  ['canary', { canary: -1 }],
  ['canary', { canary: 1.5 }],
  ['canary', { canary: '10' }],
  ['batch', { batch: 0 }],
  ['batch', { batch: -3 }],
  ['batch', { batch: 2.5 }],
  ['batch', { batch: '10' }],
  ['delay', { delay: 'soon' }],
  ['delay', { delay: '-5s' }],
  ['delay', { delay: 5 }],
  ['max_failures', { max_failures: 'abc%' }],
  ['max_failures', { max_failures: -1 }],
  ['timeout', { timeout: '2 minutes' }],
  ['timeout', { timeout: '0s' }],
  ['retries', { retries: -1 }],
  ['retries', { retries: 'twice' }],
  ['concurrency', { concurrency: 0 }],
  ['concurrency', { concurrency: 10_001 }],
  ['max_consecutive_failures', { max_consecutive_failures: 0 }],
  ['pause', { pause: 'yes' }],
])('a bad %s (%j) is refused naming the field', (field, policy) => {
  const err = refusal(policy as RolloutPolicy);
  expect(err).toBeInstanceOf(UphopError);
  expect(err.code).toBe('BAD_ROLLOUT_POLICY');
  expect(err.exitCode).toBe(2);
  expect(err.message).toContain(`agents.rollout.${field} `);
  expect(err.message.split('. ').length).toBe(1);
  expect(err.hint).toBeTruthy();
  expect(err.problems[0].field).toBe(`agents.rollout.${field}`);
});

const fleet = (n: number): AgentRecord[] => Array.from({ length: n }, (_, i) => ({ id: `a${String(i).padStart(2, '0')}`, address: `http://127.0.0.1:${7000 + i}`, version: '4.0.1', state: 'online' }));
const shape = (agents: AgentRecord[], p: ResolvedPolicy) => planWaves(agents, p).map((w) => `${w.kind}#${w.index}:${w.agents.map((a) => a.id).join(',')}`);

test('waves: the canary first, then batches, agents ordered by id whatever the input order', () => {
  const agents = fleet(8).reverse();
  expect(shape(agents, resolvePolicy({ canary: 2, batch: 3 }, 8))).toEqual(['canary#0:a00,a01', 'batch#1:a02,a03,a04', 'batch#2:a05,a06,a07']);
});

test.each<[number, RolloutPolicy, number[]]>([
  [25, {}, [3, 10, 10, 2]],
  [1, {}, [1]],
  [11, { canary: 1, batch: 5 }, [1, 5, 5]],
  [4, { canary: 40 }, [4]],
  [4, { canary: '100%', batch: 1 }, [4]],
  [5, { batch: 1 }, [1, 1, 1, 1, 1]],
])('a fleet of %i with %j runs waves of %j', (n, policy, sizes) => {
  const waves = planWaves(fleet(n), resolvePolicy(policy, n));
  expect(waves.map((w) => w.agents.length)).toEqual(sizes);
  expect(waves.map((w) => w.index)).toEqual(sizes.map((_, i) => i));
  expect(waves.map((w) => w.kind)).toEqual(sizes.map((_, i) => (i === 0 ? 'canary' : 'batch')));
  expect(waves.flatMap((w) => w.agents.map((a) => a.id))).toEqual(fleet(n).map((a) => a.id));
});

test('an empty fleet has no waves', () => {
  expect(planWaves([], resolvePolicy({}, 0))).toEqual([]);
});

test('planning is deterministic and leaves the input alone', () => {
  const agents = fleet(6).reverse();
  const copy = agents.map((a) => a.id);
  const p = resolvePolicy({ canary: 2, batch: 2 }, 6);
  expect(shape(agents, p)).toEqual(shape([...agents].reverse(), p));
  expect(agents.map((a) => a.id)).toEqual(copy);
});

test.each<[string, string | number | boolean, Partial<ResolvedPolicy>]>([
  ['canary', '5%', { canary: 5 }],
  ['canary', '3', { canary: 3 }],
  ['batch', '25', { batch: 25, concurrency: 25 }],
  ['concurrency', '7', { concurrency: 7 }],
  ['delay', '30s', { delayMs: 30_000 }],
  ['max-failures', '10%', { maxFailures: 10 }],
  ['max-failures', '4', { maxFailures: 4 }],
  ['max-consecutive-failures', '2', { maxConsecutive: 2 }],
  ['pause', true, { pause: true }],
])('the flag --%s %s overrides the bundle for one run', (flag, value, expected) => {
  const bundle: RolloutPolicy = { canary: '10%', batch: 10, delay: '5s', max_failures: 1 };
  const p = resolvePolicy(withOverrides(bundle, { [flag]: value }, 100), 100);
  expect(p).toMatchObject(expected);
});

test.each([
  ['batch', '0'],
  ['batch', 'ten'],
  ['concurrency', '0'],
  ['canary', '101%'],
  ['delay', 'later'],
  ['max-failures', '2.5'],
  ['max-consecutive-failures', '0'],
])('--%s %s is refused naming the flag (exit 2)', (flag, value) => {
  let err: UphopError | undefined;
  try {
    withOverrides({}, { [flag]: value }, 10);
  } catch (e) {
    err = e as UphopError;
  }
  expect(err).toBeInstanceOf(UphopError);
  expect(err!.code).toBe('BAD_ROLLOUT_FLAG');
  expect(err!.exitCode).toBe(2);
  expect(err!.message).toMatch(new RegExp(`^--${flag} must `));
  // the next policy error names the bundle's key again
  expect(() => resolvePolicy({ batch: 0 }, 10)).toThrow(/^agents\.rollout\.batch /);
});
