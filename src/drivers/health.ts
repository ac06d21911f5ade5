/**
 * Health checks after services start: http, tcp or command, retried with exponential
 * backoff until the check's timeout. A check that never passes fails the install
 * with its last observation, so the user sees why (status, body, refused, exit code).
 */
import type { HealthCheck } from '../bundle/manifest.js';
import { failure, usageError } from '../errors.js';
import { silent, type Emit } from '../events.js';
import { parseDuration } from './duration.js';
import { probeCommand, probeHttp, probeTcp, type Observation } from './probes.js';

export interface HealthOptions {
  signal?: AbortSignal;
  emit?: Emit;
  /** first retry delay, doubled each attempt up to maxDelayMs; defaults 100 ms and 2 s */
  initialDelayMs?: number;
  maxDelayMs?: number;
}

export interface HealthResult {
  name: string;
  attempts: number;
  ms: number;
  /** what the passing attempt saw, e.g. "HTTP 200" */
  observation: string;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const ATTEMPT_CAP_MS = 10_000;
// a last attempt squeezed by the deadline would only ever observe its own timeout
const ATTEMPT_MIN_MS = 2_000;

function probeFor(check: HealthCheck): (signal: AbortSignal) => Promise<Observation> {
  const kinds = [check.http, check.tcp, check.command].filter((k) => k !== undefined).length;
  if (kinds !== 1) {
    throw usageError('HEALTH_CHECK_INVALID', `Health check "${check.name}" must have exactly one of http, tcp or command.`, 'Keep one kind of probe per check; add more checks for more probes.');
  }
  if (check.http !== undefined) {
    const url = check.http;
    return (s) => probeHttp(url, { status: check.status ?? 200, body: check.body }, s);
  }
  if (check.tcp !== undefined) {
    const target = check.tcp;
    return (s) => probeTcp(target, s);
  }
  const argv = check.command!;
  if (argv.length === 0) throw usageError('HEALTH_CHECK_INVALID', `Health check "${check.name}" has an empty command.`, 'Give the command as an argv list.');
  return (s) => probeCommand(argv, s);
}

const describe = (c: HealthCheck) => (c.http ? `GET ${c.http}` : c.tcp ? `tcp ${c.tcp}` : (c.command ?? []).join(' '));

const abortable = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

export async function runHealthCheck(check: HealthCheck, opts: HealthOptions = {}): Promise<HealthResult> {
  const emit = opts.emit ?? silent;
  const signal = opts.signal ?? new AbortController().signal;
  const probe = probeFor(check);
  const timeoutMs = parseDuration(check.timeout, DEFAULT_TIMEOUT_MS, `timeout of health check "${check.name}"`);
  const started = Date.now();
  const deadline = started + timeoutMs;
  let delay = opts.initialDelayMs ?? 100;
  for (let attempt = 1; ; attempt++) {
    const budget = Math.min(ATTEMPT_CAP_MS, Math.max(ATTEMPT_MIN_MS, deadline - Date.now()));
    const obs = await probe(AbortSignal.any([signal, AbortSignal.timeout(budget)]));
    if (signal.aborted) {
      throw failure('HEALTH_CHECK_ABORTED', `Health check "${check.name}" was cancelled after ${attempt} attempt(s).`, 'Run the install again to check the services.');
    }
    emit({ type: 'health', check: check.name, attempt, ok: obs.ok, observation: obs.text });
    if (obs.ok) return { name: check.name, attempts: attempt, ms: Date.now() - started, observation: obs.text };
    const left = deadline - Date.now();
    if (left <= 0) {
      throw failure(
        'HEALTH_CHECK_FAILED',
        `Health check "${check.name}" (${describe(check)}) did not pass within ${check.timeout ?? '60s'}; last attempt: ${obs.text}.`,
        'Read the service logs (var/log/<product>/), fix the cause, then resume or roll back.',
      );
    }
    await abortable(Math.min(delay, left), signal);
    delay = Math.min(delay * 2, opts.maxDelayMs ?? 2000);
  }
}

/** run every check at once; the first failure cancels the others and is thrown */
export async function runHealthChecks(checks: HealthCheck[], opts: HealthOptions = {}): Promise<HealthResult[]> {
  const ctl = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, ctl.signal]) : ctl.signal;
  let first: unknown;
  const results = await Promise.allSettled(
    checks.map((c) =>
      runHealthCheck(c, { ...opts, signal }).catch((e) => {
        if (first === undefined) {
          first = e;
          ctl.abort();
        }
        throw e;
      }),
    ),
  );
  if (first !== undefined) throw first;
  return results.map((r) => (r as PromiseFulfilledResult<HealthResult>).value);
}
