/**
 * The health checks, cut short when a service exits while they wait. Services are
 * long-running by contract (docs/product-guide.md) and the checks do not say which
 * service they talk to, so any of the started services ending means the version is
 * broken: waiting out the checks' timeout (60 s by default) would only delay the
 * rollback. A driver without `exitOf` leaves the checks to their timeout.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { HealthCheck } from '../bundle/manifest.js';
import { failure } from '../errors.js';
import type { Emit } from '../events.js';
import { runHealthChecks, type HealthResult } from '../drivers/health.js';
import { describeExit, tailText } from '../drivers/services/exit.js';
import type { ServiceDriver, ServiceExit, ServiceSpec } from '../drivers/services/index.js';

/** how often each service is looked at: a pidfile and a /proc read, or one `systemctl show` */
const POLL_MS = 300;

export interface WatchedHealth {
  driver: ServiceDriver;
  /** the services just started, each of which must keep running */
  specs: ServiceSpec[];
  checks: HealthCheck[];
  emit: Emit;
  pollMs?: number;
}

/** the first of `specs` found ended, polling until `signal` aborts (then undefined) */
async function firstExit(driver: ServiceDriver, specs: ServiceSpec[], pollMs: number, signal: AbortSignal): Promise<{ svc: ServiceSpec; exit: ServiceExit } | undefined> {
  const exitOf = driver.exitOf!.bind(driver);
  while (!signal.aborted) {
    for (const svc of specs) {
      // a driver that cannot tell right now is no reason to fail: the checks still decide
      const exit = await exitOf(svc).catch(() => undefined);
      if (exit && !signal.aborted) return { svc, exit };
    }
    await sleep(pollMs, undefined, { signal }).catch(() => undefined);
  }
  return undefined;
}

const exitedError = ({ svc, exit }: { svc: ServiceSpec; exit: ServiceExit }) =>
  failure(
    'SERVICE_CRASHED',
    `Service "${svc.name}" ${describeExit(exit)} while the health checks waited for it (its log: ${exit.log})${tailText(exit.tail)}`,
    `Read ${exit.log}, fix the cause, then run the command again.`,
  );

export async function healthWhileRunning(w: WatchedHealth): Promise<HealthResult[]> {
  if (!w.driver.exitOf || !w.specs.length || !w.checks.length) return runHealthChecks(w.checks, { emit: w.emit });
  const ctl = new AbortController();
  const checks = runHealthChecks(w.checks, { emit: w.emit, signal: ctl.signal });
  const watch = firstExit(w.driver, w.specs, w.pollMs ?? POLL_MS, ctl.signal);
  try {
    const first = await Promise.race([checks.then((results) => ({ results })), watch.then((ended) => ({ ended }))]);
    if ('results' in first) return first.results;
    ctl.abort();
    // let the cancelled probes finish before the rollback stops and starts services under them
    await checks.catch(() => undefined);
    throw exitedError(first.ended!);
  } finally {
    ctl.abort();
  }
}
