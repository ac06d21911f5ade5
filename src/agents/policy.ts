/**
 * Pure rollout maths: a bundle's RolloutPolicy turned into counts for the fleet
 * at hand, and that fleet cut into waves (a canary, then batches).
 */
import type { RolloutPolicy } from '../bundle/manifest.js';
import { usageError } from '../errors.js';
import { DURATION_HINT, isDuration, parseDuration } from '../spec/duration.js';
import type { AgentRecord, ResolvedPolicy, Wave } from './types.js';

export const DEFAULT_ROLLOUT = { canary: '10%', batch: 10, delay: '0s', max_failures: 0, timeout: '2m', retries: 2, pause: false } as const;

/** the flags of `uphop agents rollout` that override a policy key for one run */
export const OVERRIDE_FLAGS = {
  canary: 'canary',
  batch: 'batch',
  concurrency: 'concurrency',
  delay: 'delay',
  'max-failures': 'max_failures',
  'max-consecutive-failures': 'max_consecutive_failures',
  pause: 'pause',
} as const;
export type PolicyOverrides = Partial<Record<keyof typeof OVERRIDE_FLAGS, string | number | boolean>>;

/** while resolving flags, errors name the flag rather than the bundle's key */
let naming: ((field: string) => string) | undefined;

const bad = (field: string, message: string, hint: string) => {
  const at = naming?.(field) ?? `agents.rollout.${field}`;
  return usageError(naming ? 'BAD_ROLLOUT_FLAG' : 'BAD_ROLLOUT_POLICY', `${at} ${message}`, hint, [{ field: at, message, hint }]);
};

/**
 * the bundle's policy with the command line's flags on top, each flag checked like
 * the key it replaces (exit 2 naming the flag); numbers arrive as text from the CLI
 */
export function withOverrides(p: RolloutPolicy, flags: PolicyOverrides, fleet: number): RolloutPolicy {
  const out: Record<string, unknown> = { ...p };
  for (const [flag, key] of Object.entries(OVERRIDE_FLAGS) as [keyof typeof OVERRIDE_FLAGS, string][]) {
    const raw = flags[flag];
    if (raw === undefined) continue;
    const text = String(raw).trim();
    const value = typeof raw === 'boolean' ? raw : /^\d+$/.test(text) ? Number(text) : text;
    naming = () => `--${flag}`;
    try {
      resolvePolicy({ [key]: value }, fleet);
    } finally {
      naming = undefined;
    }
    out[key] = value;
  }
  return out as RolloutPolicy;
}

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

/** more agents in flight than this would only queue on the manager's sockets and file descriptors */
export const MAX_CONCURRENCY = 10_000;

function count(field: string, value: unknown, min: number, example: string): number {
  const max = field === 'concurrency' ? MAX_CONCURRENCY : Number.MAX_SAFE_INTEGER;
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
  const span = max === MAX_CONCURRENCY ? `from ${min} to ${max}` : `from ${min} up`;
  throw bad(field, `must be a whole number ${span}, got ${JSON.stringify(value)}`, `write e.g. ${example}`);
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
  const batch = count('batch', p.batch ?? d.batch, 1, '10');
  const consecutive = p.max_consecutive_failures === undefined ? Infinity : count('max_consecutive_failures', p.max_consecutive_failures, 1, '3');
  if (p.pause !== undefined && typeof p.pause !== 'boolean') throw bad('pause', `must be true or false, got ${JSON.stringify(p.pause)}`, 'write pause: true');
  return {
    canary: fleet > 0 ? Math.min(fleet, Math.max(1, canary)) : 0,
    batch,
    concurrency: Math.min(MAX_CONCURRENCY, p.concurrency === undefined ? batch : count('concurrency', p.concurrency, 1, '100')),
    delayMs: duration('delay', p.delay ?? d.delay, false),
    maxFailures: Math.floor(share('max_failures', p.max_failures ?? d.max_failures, fleet)),
    maxConsecutive: consecutive,
    pause: p.pause ?? d.pause,
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
