/**
 * Upgrades one agent over its own HTTP API: POST /upgrade with the package's
 * location and sha256, then poll GET /health until the re-executed agent reports
 * the target version (first after 50 ms, then less and less often: most agents are
 * back within a few hundred ms, a slow one is not polled hard). Every upgrade has
 * its own connection pool, destroyed when it ends, so nothing is kept per agent.
 * The caller's signal is the per-attempt timeout.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { pool, request } from './http-request.js';
import { AgentError, type AgentRecord, type AgentTransport, type UpgradeHow } from './types.js';

export interface HttpTransportOptions {
  target: string;
  /** the agents' bearer token; never appears in a message */
  token: string;
  /** where agents fetch the package: a URL (package server) or a path on their own host */
  package: { url?: string; path?: string; sha256: string };
  /** the first health poll; later ones wait 1.5 times longer each, up to maxPollMs */
  pollMs?: number;
  maxPollMs?: number;
}

/** one health request may hang on a half-dead process: give up on it, not on the attempt */
const PROBE_MS = 3000;
/** no connection at all: the agent is down or unreachable, no command reached it */
const OFFLINE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTDOWN']);

const errorCode = (e: unknown): string | undefined => (e as { code?: string })?.code;

const aborted = (signal: AbortSignal, what: string) => signal.reason ?? new AgentError(`${what} timed out`, true);

interface Health {
  status?: string;
  version?: string;
}

export class HttpTransport implements AgentTransport {
  private readonly pollMs: number;
  private readonly maxPollMs: number;

  constructor(private readonly o: HttpTransportOptions) {
    if (!o.package.url && !o.package.path) throw new Error('HttpTransport needs package.url or package.path');
    this.pollMs = o.pollMs ?? 50;
    this.maxPollMs = Math.max(this.pollMs, o.maxPollMs ?? 1000);
  }

  async upgrade(agent: AgentRecord, signal: AbortSignal, how: UpgradeHow = {}): Promise<string> {
    const who = `agent ${agent.id} at ${agent.address}`;
    // agents echo nothing secret today; scrub anyway so a token can never reach a log
    const fail = (message: string, retryable: boolean, offline = false) => new AgentError(this.o.token ? message.split(this.o.token).join('***') : message, retryable, offline);
    let base: URL;
    try {
      base = new URL(agent.address.replace(/\/+$/, '') + '/');
    } catch {
      throw fail(`${who} cannot be contacted: its address is not a URL`, false);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw fail(`${who} cannot be contacted: its address is not an http(s) URL`, false);
    const health = new URL('health', base);
    const agentPool = pool(base);
    try {
      if (how.inDoubt) {
        // an earlier attempt may have delivered the command: never send a second one to an upgraded agent
        const now = await this.probe(health, signal, agentPool);
        if (now?.status === 'ok' && now.version === this.o.target) return now.version;
        if (now?.status === 'upgrading') return await this.waitFor(health, signal, who, agentPool);
      }
      const { url, path, sha256 } = this.o.package;
      let res: Awaited<ReturnType<typeof request>>;
      try {
        res = await request(new URL('upgrade', base), {
          method: 'POST',
          agent: agentPool,
          signal,
          headers: { authorization: `Bearer ${this.o.token}`, 'content-type': 'application/json' },
          body: JSON.stringify(url ? { url, sha256 } : { path, sha256 }),
        });
      } catch (e) {
        if (signal.aborted) throw aborted(signal, who);
        const code = errorCode(e);
        throw fail(`${who} could not be reached (${code ?? 'connection failed'})`, true, OFFLINE.has(code ?? ''));
      }
      let body: { error?: string; message?: string; to?: string } = {};
      try {
        body = JSON.parse(res.text) ?? {};
      } catch {
        /* not JSON: the status alone has to do */
      }
      const theirs =
        String(body.message ?? body.error ?? res.text)
          .trim()
          .slice(0, 300) || `HTTP ${res.status}`;

      if (res.status === 401) throw fail(`${who} rejected the token`, false);
      if (res.status === 409) throw fail(`${who} is busy with another upgrade`, true);
      if (res.status === 400) throw fail(`${who} refused the package: ${theirs}`, false);
      if (res.status >= 500) throw fail(`${who} failed the upgrade with HTTP ${res.status}: ${theirs}`, true);
      if (res.status !== 202) throw fail(`${who} answered HTTP ${res.status} to the upgrade request: ${theirs}`, false);
      // the package holds another version: waiting for the target could only time out
      if (body.to && body.to !== this.o.target) throw fail(`${who} installed version ${body.to} from the package, not ${this.o.target}`, false);
      return await this.waitFor(health, signal, who, agentPool);
    } finally {
      agentPool.destroy();
    }
  }

  /** the agent's /health, or undefined while it does not answer (restarting, gone) */
  private async probe(health: URL, signal: AbortSignal, agent: ReturnType<typeof pool>): Promise<Health | undefined> {
    try {
      const res = await request(health, { agent, signal, timeoutMs: PROBE_MS });
      const body = JSON.parse(res.text) as Health | null;
      return res.status === 200 && body && typeof body === 'object' ? body : undefined;
    } catch {
      return undefined;
    }
  }

  /** polls until the agent reports the target; refusals and old versions are expected while it re-execs */
  private async waitFor(health: URL, signal: AbortSignal, who: string, agent: ReturnType<typeof pool>): Promise<string> {
    for (let wait = this.pollMs; ; wait = Math.min(this.maxPollMs, Math.round(wait * 1.5))) {
      try {
        await sleep(wait, undefined, { signal });
      } catch {
        throw aborted(signal, who);
      }
      const now = await this.probe(health, signal, agent);
      if (signal.aborted) throw aborted(signal, who);
      if (now?.status === 'ok' && now.version === this.o.target) return now.version;
    }
  }
}
