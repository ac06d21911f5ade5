/**
 * The copy must never be checked through the live manager: when a port value was
 * not moved (its key does not end in "port"), the copy's health checks would probe
 * the live services, and a rehearsal could "pass" on them while the copy never ran.
 * This compares the endpoints of the copy's rendered checks with the live ones'.
 */
import type { HealthCheck } from '../bundle/manifest.js';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', '[::1]', '0.0.0.0', '::', '[::]', '']);

/** "host:port" of an http or tcp check, loopback names folded into one; undefined for a command check */
export function endpointOf(check: HealthCheck): string | undefined {
  let host: string;
  let port: string;
  if (check.http) {
    let url: URL;
    try {
      url = new URL(check.http);
    } catch {
      return undefined;
    }
    host = url.hostname;
    port = url.port || (url.protocol === 'https:' ? '443' : '80');
  } else if (check.tcp) {
    const m = /^\[?([^\]]*?)\]?:(\d{1,5})$/.exec(check.tcp.trim());
    if (!m) return undefined;
    [, host, port] = m;
  } else return undefined;
  return `${LOOPBACK.has(host.toLowerCase()) ? 'loopback' : host.toLowerCase()}:${Number(port)}`;
}

export interface SharedEndpoint {
  check: string;
  /** as the check names it (a URL, or host:port) */
  endpoint: string;
  port: number;
}

/** the copy's checks that would reach an endpoint one of the live manager's checks uses */
export function sharedEndpoints(copy: HealthCheck[], live: HealthCheck[]): SharedEndpoint[] {
  const liveEndpoints = new Set(live.map(endpointOf).filter(Boolean));
  return copy.flatMap((c) => {
    const e = endpointOf(c);
    return e && liveEndpoints.has(e) ? [{ check: c.name, endpoint: (c.http ?? c.tcp)!, port: Number(e.slice(e.lastIndexOf(':') + 1)) }] : [];
  });
}
