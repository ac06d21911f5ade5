/**
 * Upgrades one agent over its own HTTP API: POST /upgrade with the package's
 * location and sha256, then poll GET /health until the re-executed agent reports
 * the target version. The caller's signal is the per-attempt timeout.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { AgentError, type AgentRecord, type AgentTransport } from './types.js';

export interface HttpTransportOptions {
  target: string;
  /** the agents' bearer token; never appears in a message */
  token: string;
  /** where agents fetch the package: a URL (package server) or a path on their own host */
  package: { url?: string; path?: string; sha256: string };
  pollMs?: number;
}

/** one health request may hang on a half-dead process: give up on it, not on the attempt */
const PROBE_MS = 3000;

const errorCode = (e: unknown): string | undefined => {
  const c = (e as { cause?: { code?: string; errors?: { code?: string }[] } })?.cause;
  return c?.code ?? c?.errors?.[0]?.code;
};

const aborted = (signal: AbortSignal, what: string) =>
  signal.reason ?? new AgentError(`${what} timed out`, true);

export class HttpTransport implements AgentTransport {
  private readonly pollMs: number;

  constructor(private readonly o: HttpTransportOptions) {
    if (!o.package.url && !o.package.path) throw new Error('HttpTransport needs package.url or package.path');
    this.pollMs = o.pollMs ?? 500;
  }

  async upgrade(agent: AgentRecord, signal: AbortSignal): Promise<string> {
    const who = `agent ${agent.id} at ${agent.address}`;
    // agents echo nothing secret today; scrub anyway so a token can never reach a log
    const fail = (message: string, retryable: boolean) =>
      new AgentError(this.o.token ? message.split(this.o.token).join('***') : message, retryable);
    let base: URL;
    try {
      base = new URL(agent.address);
    } catch {
      throw fail(`${who} cannot be contacted: its address is not a URL`, false);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw fail(`${who} cannot be contacted: its address is not an http(s) URL`, false);
    const endpoint = (p: string) => `${agent.address.replace(/\/+$/, '')}/${p}`;

    const { url, path, sha256 } = this.o.package;
    let res: Response;
    try {
      res = await fetch(endpoint('upgrade'), {
        method: 'POST',
        headers: { authorization: `Bearer ${this.o.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(url ? { url, sha256 } : { path, sha256 }),
        signal,
      });
    } catch (e) {
      if (signal.aborted) throw aborted(signal, who);
      throw fail(`${who} could not be reached (${errorCode(e) ?? 'connection failed'})`, true);
    }
    const text = await res.text().catch(() => '');
    let body: { error?: string; message?: string; to?: string } = {};
    try {
      body = JSON.parse(text);
    } catch { /* not JSON: the status alone has to do */ }
    const theirs = (body.message ?? body.error ?? text).trim().slice(0, 300) || `HTTP ${res.status}`;

    if (res.status === 401) throw fail(`${who} rejected the token`, false);
    if (res.status === 409) throw fail(`${who} is busy with another upgrade`, true);
    if (res.status === 400) throw fail(`${who} refused the package: ${theirs}`, false);
    if (res.status >= 500) throw fail(`${who} failed the upgrade with HTTP ${res.status}: ${theirs}`, true);
    if (res.status !== 202) throw fail(`${who} answered HTTP ${res.status} to the upgrade request: ${theirs}`, false);
    // the package holds another version: waiting for the target could only time out
    if (body.to && body.to !== this.o.target) throw fail(`${who} installed version ${body.to} from the package, not ${this.o.target}`, false);

    return this.waitFor(endpoint('health'), signal, who);
  }

  /** polls until the agent reports the target; refusals and old versions are expected while it re-execs */
  private async waitFor(health: string, signal: AbortSignal, who: string): Promise<string> {
    for (;;) {
      try {
        await sleep(this.pollMs, undefined, { signal });
        const res = await fetch(health, { signal: AbortSignal.any([signal, AbortSignal.timeout(Math.max(PROBE_MS, this.pollMs))]) });
        const body = (await res.json().catch(() => null)) as { status?: string; version?: string } | null;
        if (res.status === 200 && body?.status === 'ok' && body.version === this.o.target) return body.version;
      } catch {
        if (signal.aborted) throw aborted(signal, who);
        // connection refused or reset: the old process is gone, the new one not listening yet
      }
    }
  }
}
