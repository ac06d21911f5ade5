/**
 * One HTTP(S) request through node:http with a connection pool of its own (the
 * caller's), a bounded answer and the caller's signal. The global fetch keeps a
 * pool per origin for the life of the process; a fleet of 10,000 agents would
 * leave 10,000 of them behind.
 */
import http from 'node:http';
import https from 'node:https';

export interface Answer {
  status: number;
  text: string;
}

/** an agent answers with a few hundred bytes; more is cut off rather than buffered */
const MAX_ANSWER = 64 * 1024;

export const pool = (url: URL): http.Agent => (url.protocol === 'https:' ? new https.Agent({ keepAlive: true, maxSockets: 1 }) : new http.Agent({ keepAlive: true, maxSockets: 1 }));

/** a host that drops packets must fail the attempt soon, not when its timeout ends */
const CONNECT_MS = 10_000;

/** `timeoutMs` bounds this one request (a health probe) without a signal of its own per request */
export function request(url: URL, o: { method?: string; headers?: Record<string, string>; body?: string; signal: AbortSignal; agent: http.Agent; timeoutMs?: number }): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    const mod = url.protocol === 'https:' ? https : http;
    const headers = { ...o.headers, ...(o.body !== undefined ? { 'content-length': String(Buffer.byteLength(o.body)) } : {}) };
    const req = mod.request(url, { method: o.method ?? 'GET', headers, agent: o.agent, signal: o.signal }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (text.length < MAX_ANSWER) text += chunk;
      });
      res.once('end', () => resolve({ status: res.statusCode ?? 0, text: text.slice(0, MAX_ANSWER) }));
      res.once('error', reject);
      res.once('aborted', () => reject(Object.assign(new Error('the answer was cut off'), { code: 'ECONNRESET' })));
    });
    req.once('error', reject);
    if (o.timeoutMs) {
      const timer = setTimeout(() => req.destroy(Object.assign(new Error('no answer in time'), { code: 'ETIMEDOUT' })), o.timeoutMs);
      req.once('close', () => clearTimeout(timer));
    }
    req.once('socket', (socket) => {
      if (!socket.connecting) return;
      const timer = setTimeout(() => req.destroy(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' })), CONNECT_MS);
      socket.once('connect', () => clearTimeout(timer)).once('close', () => clearTimeout(timer));
    });
    req.end(o.body);
  });
}
