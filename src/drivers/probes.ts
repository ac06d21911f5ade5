/**
 * One attempt of a health check. A probe never throws for an unhealthy service: it
 * returns what it observed, in words a user can act on.
 */
import { execFile } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { usageError } from '../errors.js';

export interface Observation {
  ok: boolean;
  /** e.g. "HTTP 200", "got HTTP 503", "connection refused (ECONNREFUSED)" */
  text: string;
}

const BODY_CAP = 64 * 1024;
const excerpt = (s: string) => JSON.stringify(s.length > 200 ? `${s.slice(0, 200)}…` : s);

const describeError = (e: NodeJS.ErrnoException): string => {
  if (e.code === 'ECONNREFUSED') return 'connection refused (ECONNREFUSED)';
  if (e.name === 'AbortError' || e.code === 'ABORT_ERR') return 'no answer before the attempt timed out';
  return e.code ? `${e.message} (${e.code})` : e.message;
};

/** "/regex/flags" is a regular expression, anything else a substring */
export function bodyMatcher(body: string): { test(s: string): boolean; label: string } {
  const m = /^\/(.*)\/([dgimsuy]*)$/s.exec(body);
  if (m) {
    let re: RegExp;
    try {
      re = new RegExp(m[1], m[2]);
    } catch {
      throw usageError('HEALTH_CHECK_INVALID', `The body pattern ${body} is not a valid regular expression.`, 'Fix the pattern or write a plain substring.');
    }
    return { test: (s) => re.test(s), label: body };
  }
  return { test: (s) => s.includes(body), label: JSON.stringify(body) };
}

export function probeHttp(url: string, want: { status: number; body?: string }, signal: AbortSignal): Promise<Observation> {
  const matcher = want.body === undefined ? undefined : bodyMatcher(want.body);
  const client = url.startsWith('https:') ? https : http;
  return new Promise((resolve) => {
    // agent:false = no pooled keep-alive sockets left behind holding the service's port
    const req = client.get(url, { agent: false, signal }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < BODY_CAP) chunks.push(c);
        size += c.length;
      });
      res.on('error', (e) => resolve({ ok: false, text: describeError(e) }));
      // first resolve wins: after 'end' this is a no-op, before it the answer was cut off
      res.on('close', () => resolve({ ok: false, text: 'the connection closed before the response ended' }));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8').slice(0, BODY_CAP);
        if (res.statusCode !== want.status) {
          return resolve({ ok: false, text: `got HTTP ${res.statusCode}, expected ${want.status}; body ${excerpt(body)}` });
        }
        if (matcher && !matcher.test(body)) {
          return resolve({ ok: false, text: `HTTP ${res.statusCode} but the body does not match ${matcher.label}; body ${excerpt(body)}` });
        }
        resolve({ ok: true, text: `HTTP ${res.statusCode}` });
      });
    });
    req.on('error', (e) => resolve({ ok: false, text: describeError(e) }));
  });
}

export function parseHostPort(target: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d{1,5})$/.exec(target.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m?.[1] || port < 1 || port > 65535) {
    throw usageError('HEALTH_CHECK_INVALID', `The tcp target "${target}" is not host:port.`, 'Write it as 127.0.0.1:5432 or [::1]:5432.');
  }
  return { host: m[1], port };
}

export function probeTcp(target: string, signal: AbortSignal): Promise<Observation> {
  const { host, port } = parseHostPort(target);
  return new Promise((resolve) => {
    const sock = net.connect({ host, port, signal });
    sock.once('connect', () => {
      sock.destroy();
      resolve({ ok: true, text: `connected to ${host}:${port}` });
    });
    sock.once('error', (e) => resolve({ ok: false, text: describeError(e) }));
  });
}

export function probeCommand(argv: string[], signal: AbortSignal): Promise<Observation> {
  return new Promise((resolve) => {
    execFile(argv[0], argv.slice(1), { signal, maxBuffer: BODY_CAP }, (err, stdout, stderr) => {
      if (!err) return resolve({ ok: true, text: 'exit 0' });
      const e = err as NodeJS.ErrnoException & { code?: number | string; killed?: boolean };
      if (typeof e.code !== 'number') return resolve({ ok: false, text: describeError(e) });
      const out = `${stderr || stdout}`.trim().split('\n').slice(-3).join(' | ');
      resolve({ ok: false, text: `exit ${e.code}${out ? `: ${out}` : ''}` });
    });
  });
}
