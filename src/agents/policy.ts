/**
 * Pure rollout maths: a bundle's RolloutPolicy turned into counts for the fleet
 * at hand, and that fleet cut into waves (a canary, then batches).
 */
import type { RolloutPolicy } from '../bundle/manifest.js';
import { usageError } from '../errors.js';
import { DURATION_HINT, isDuration, parseDuration } from '../spec/duration.js';
import type { AgentRecord, ResolvedPolicy, Wave } from './types.js';

export const DEFAULT_ROLLOUT = { canary: '10%', batch: 10, delay: '0s', max_failures: 0, timeout: '2m', retries: 2 } as const;

const bad = (field: string, message: string, hint: string) => {
  const at = `agents.rollout.${field}`;
  return usageError('BAD_ROLLOUT_POLICY', `${at} ${message}`, hint, [{ field: at, message, hint }]);
};

/**
 * a share of the fleet as a possibly fractional count; callers round it their way.
 * Rounded to 1e-9 first so that e.g. 12.3% of 1000 is 123, not 123.00000000000001.
 */
function share(field: string, value: unknown, fleet: number): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  const m = typeof value === 'string' ? /^(\d+(?:\.\d+)?)%$/.exec(value.trim()) : null;
  if (m && Number(m[1]) <= 100) return Math.round(((Number(m[1]) * fleet) / 100) * 1e9) / 1e9;
  throw bad(field, `must be a percentage from 0% to 100% or a whole number of agents, got ${JSON.stringify(value)}`, 'write e.g. 10% or 5');
}

function count(field: string, value: unknown, min: number, example: string): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min) return value;
  throw bad(field, `must be a whole number from ${min} up, got ${JSON.stringify(value)}`, `write e.g. ${example}`);
}

function duration(field: string, value: unknown, positive: boolean): number {
  if (!isDuration(value)) throw bad(field, `must be a duration, got ${JSON.stringify(value)}`, DURATION_HINT);
  const ms = parseDuration(value);
  if (positive && ms === 0) throw bad(field, 'must be longer than 0', DURATION_HINT);
  return ms;
}

/**
 * Resolve the policy against `fleet`, the number of agents still to upgrade (shares
 * are of those). The canary rounds up and always holds at least one agent, so a
 * rollout never starts with a full batch untested; max_failures rounds down, so
 * "5%" of a small fleet tolerates no failure at all.
 */
export function resolvePolicy(p: RolloutPolicy, fleet: number): ResolvedPolicy {
  const d = DEFAULT_ROLLOUT;
  const canary = Math.ceil(share('canary', p.canary ?? d.canary, fleet));
  return {
    canary: fleet > 0 ? Math.min(fleet, Math.max(1, canary)) : 0,
    batch: count('batch', p.batch ?? d.batch, 1, '10'),
    delayMs: duration('delay', p.delay ?? d.delay, false),
    maxFailures: Math.floor(share('max_failures', p.max_failures ?? d.max_failures, fleet)),
    timeoutMs: duration('timeout', p.timeout ?? d.timeout, true),
    retries: count('retries', p.retries ?? d.retries, 0, '2'),
  };
}

/** the waves, deterministic for a given fleet: agents by id, the canary first, then batches */
export function planWaves(agents: AgentRecord[], p: ResolvedPolicy): Wave[] {
  const sorted = [...agents].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (sorted.length === 0) return [];
  const waves: Wave[] = [];
  const canary = Math.min(sorted.length, p.canary);
  if (canary > 0) waves.push({ kind: 'canary', index: 0, agents: sorted.slice(0, canary) });
  // a batch below 1 would never finish the fleet; the policy resolver refuses it, this guards hand-made policies
  const batch = Math.max(1, Math.floor(p.batch));
  for (let i = canary, index = 1; i < sorted.length; i += batch, index++) {
    waves.push({ kind: 'batch', index, agents: sorted.slice(i, i + batch) });
  }
  return waves;
}
