/**
 * When something that is not one of the product's own services holds a service's
 * port, say so by pid and port (from /proc): before starting (so a start does not
 * wait out the health checks' timeout against a stranger), and when a service
 * cannot start or answer.
 */
import { isUphopError, UphopError } from '../errors.js';
import type { HealthCheck } from '../bundle/manifest.js';
import { findServiceProcesses } from '../drivers/services/discover.js';
import { portHolders, portOf, type PortHolder } from '../drivers/services/ports.js';

const PORT_ERRORS = new Set(['SERVICE_CRASHED', 'HEALTH_CHECK_FAILED']);

export interface PortContext {
  root: string;
  product: string;
  checks: HealthCheck[];
  /** what to run once the port is free, for the hint */
  next: string;
}

const checkPorts = (checks: HealthCheck[]) => [...new Set(checks.map((c) => portOf(c.http ?? c.tcp ?? '')).filter((p): p is number => !!p))];

async function foreignHolder(a: PortContext, ports: number[]): Promise<PortHolder | undefined> {
  if (!ports.length) return undefined;
  const ours = new Set((await findServiceProcesses(a.root, a.product)).flatMap((p) => [p.pid, p.pgrp]));
  for (const port of ports) {
    const h = (await portHolders(port)).find((x) => !ours.has(x.pid) && x.pid !== process.pid);
    if (h) return h;
  }
  return undefined;
}

const portError = (h: PortHolder, a: PortContext, what: string, exitCode: UphopError['exitCode'], cause?: unknown) =>
  new UphopError('PORT_IN_USE', `Port ${h.port} is held by pid ${h.pid} (${h.cmdline.slice(0, 120)})${h.listening ? '' : ' as the local end of a connection'}, which uphop did not start: ${what}`, {
    exitCode,
    hint: `Stop pid ${h.pid} (or move it off port ${h.port}), then ${a.next}.`,
    cause,
  });

/** before starting services: refuse when a stranger listens where their health checks look */
export async function refuseForeignPorts(a: PortContext): Promise<void> {
  const h = await foreignHolder(a, checkPorts(a.checks));
  if (h) throw portError(h, a, h.listening ? `the health checks of ${a.product} would talk to it, not to ${a.product}.` : `a service of ${a.product} could not listen there.`, 1);
}

/** a failed start or health check, explained by a stranger on the port when there is one */
export async function withPortHolders(e: unknown, a: PortContext): Promise<unknown> {
  if (!isUphopError(e) || !PORT_ERRORS.has(e.code)) return e;
  const fromLog = [...e.message.matchAll(/EADDRINUSE[^\n]*?:(\d+)/g)].map((m) => Number(m[1]));
  const h = await foreignHolder(a, [...new Set([...fromLog, ...checkPorts(a.checks)])]);
  return h ? portError(h, a, e.message, e.exitCode, e) : e;
}
