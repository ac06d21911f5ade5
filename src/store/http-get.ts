/**
 * One HTTP/1.1 GET whose body is handed over in a buffer reused for every read:
 * the download fast path. Node's http client allocates a fresh 64 KiB Buffer per
 * socket read and pushes each through a stream; at loopback speed that garbage and
 * machinery cost more CPU than the sha256 of the same bytes (npm run bench:fetch).
 * Here the socket reads straight into one buffer (net/tls `onread`), as much as is
 * waiting per read, and stays paused while the sink writes a chunk out.
 *
 * It speaks only what a presigned S3 GET needs: a Content-Length framed body (or one
 * that runs to the end of the connection) on a connection of its own. Anything else
 * (chunked framing) is reported as UnsupportedFraming before a byte reaches the sink,
 * so the caller can take the general path instead.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { ChunkSink } from './types.js';

export interface RawResponse {
  status: number;
  /** lower-case names */
  headers: Record<string, string>;
  /** the error document of a non-2xx answer (at most 64 KiB); a 2xx body went to the sink */
  body?: string;
}

export interface RawGetOptions {
  headers?: Record<string, string>;
  /** bytes per read, default 1 MiB */
  bufferSize?: number;
  /** a connection silent this long fails with ETIMEDOUT, default 60 s */
  idleMs?: number;
  /** extra trusted CA for https (tests); the system store and NODE_EXTRA_CA_CERTS apply anyway */
  ca?: string | Buffer;
}

export class UnsupportedFraming extends Error {}

const MAX_HEAD = 64 * 1024;

export function rawGet(url: URL, sink: ChunkSink, o: RawGetOptions = {}): Promise<RawResponse> {
  return new Promise<RawResponse>((resolve, reject) => {
    const https = url.protocol === 'https:';
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = Number(url.port) || (https ? 443 : 80);
    let head: Buffer | undefined = Buffer.alloc(0);
    let res: RawResponse | undefined;
    let length: number | undefined;
    let received = 0;
    let errorDoc = '';
    let settled = false;

    const settle = (e?: unknown) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (e) reject(e);
      else resolve(errorDoc ? { ...res!, body: errorDoc } : res!);
    };
    const complete = () => length !== undefined && received >= length;

    /** one piece of the body; false = the socket is paused until the sink is done with the buffer */
    const body = (chunk: Buffer): boolean => {
      if (length !== undefined && received + chunk.length > length) {
        settle(new Error(`the server sent more than the ${length} bytes it announced`));
        return false;
      }
      received += chunk.length;
      if (res!.status >= 300) {
        if (errorDoc.length < MAX_HEAD) errorDoc += chunk.toString('utf8');
        if (complete()) settle();
        return true;
      }
      let pending: void | Promise<void>;
      try {
        pending = sink(chunk);
      } catch (e) {
        settle(e);
        return false;
      }
      if (!pending) {
        if (complete()) settle();
        return true;
      }
      pending.then(() => (complete() ? settle() : socket.resume()), settle);
      return false;
    };

    const onread = (n: number, buf: Buffer): boolean => {
      if (settled) return false;
      if (!head) return body(buf.subarray(0, n));
      head = Buffer.concat([head, buf.subarray(0, n)]); // the header is small: copying it is cheap
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > MAX_HEAD) settle(new Error('the server sent an over-long response header'));
        return true;
      }
      try {
        res = parseHead(head.subarray(0, end).toString('latin1'));
      } catch (e) {
        settle(e);
        return false;
      }
      const rest = head.subarray(end + 4);
      head = undefined;
      if (res.headers['transfer-encoding'] && res.headers['transfer-encoding'] !== 'identity') {
        settle(new UnsupportedFraming(`transfer-encoding ${res.headers['transfer-encoding']}`));
        return false;
      }
      length = res.headers['content-length'] === undefined ? undefined : Number(res.headers['content-length']);
      if (length === 0 || rest.length === 0) {
        if (complete()) settle();
        return true;
      }
      return body(rest);
    };

    const options = { host, port, onread: { buffer: Buffer.allocUnsafe(o.bufferSize ?? 1024 * 1024), callback: onread } };
    const socket: net.Socket = https
      ? tls.connect({ ...options, servername: net.isIP(host) ? undefined : host, ca: o.ca ? [...tls.rootCertificates, String(o.ca)] : undefined })
      : net.connect(options);
    socket.setTimeout(o.idleMs ?? 60_000, () => {
      settle(Object.assign(new Error(`the server sent nothing for ${Math.round((o.idleMs ?? 60_000) / 1000)} s`), { code: 'ETIMEDOUT' }));
    });
    socket.on('error', (e) => settle(e));
    socket.on('close', () => {
      if (res && length === undefined) return settle(); // the body ran to the end of the connection
      settle(new Error(res ? `the connection closed after ${received} of ${length} bytes` : 'the connection closed before a response'));
    });
    const extra = Object.entries(o.headers ?? {}).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    socket.write(`GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n${extra}User-Agent: uphop\r\nConnection: close\r\n\r\n`);
  });
}

function parseHead(text: string): RawResponse {
  const [statusLine, ...lines] = text.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (!m) throw new Error(`the server's answer is not HTTP/1.1 (${statusLine.slice(0, 40)})`);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  const cl = headers['content-length'];
  if (cl !== undefined && !/^\d+$/.test(cl)) throw new Error(`the server sent a bad Content-Length (${cl.slice(0, 20)})`);
  return { status: Number(m[1]), headers };
}
