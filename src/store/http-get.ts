/**
 * One HTTP/1.1 GET whose body is handed over in a buffer reused for every read:
 * the download fast path. Node's http client allocates a fresh 64 KiB Buffer per
 * socket read and pushes each through a stream; at loopback speed that garbage and
 * machinery cost more CPU than the sha256 of the same bytes (npm run bench:fetch).
 * Here the socket reads straight into one buffer (net/tls `onread`), as much as is
 * waiting per read, and stays paused while the sink writes a chunk out.
 *
 * It speaks only what a presigned S3 GET needs: a Content-Length framed body (or one
 * that runs to the end of the connection). Anything else (chunked framing) is
 * reported as UnsupportedFraming before a byte reaches the sink, so the caller can
 * take the general path instead. Interim 1xx answers (100 Continue, 103 Early
 * Hints) before the real one are skipped. Connections are kept alive and reused
 * (http-pool.ts), a reused connection the server had closed meanwhile is retried
 * once on a fresh one, and a proxy is spoken to as proxy.ts says (CONNECT for
 * https, an absolute-URI GET for http). No header value with CR or LF is written.
 */
import { checkHeader, proxyAuthorization } from './proxy.js';
import { connection, drop, release, type Conn, type ConnOptions } from './http-pool.js';

export { closeIdleConnections } from './http-pool.js';
import type { ChunkSink } from './types.js';

export interface RawResponse {
  status: number;
  /** lower-case names */
  headers: Record<string, string>;
  /** the error document of a non-2xx answer (at most 64 KiB); a 2xx body went to the sink */
  body?: string;
}

export interface RawGetOptions extends ConnOptions {
  headers?: Record<string, string>;
}

export class UnsupportedFraming extends Error {}
/** a kept-alive connection the server had closed before this request: retried on a fresh one */
class StaleConnection extends Error {}

const MAX_HEAD = 64 * 1024;

function requestHead(url: URL, o: RawGetOptions): string {
  const headers: [string, string][] = [['Host', url.host], ...Object.entries(o.headers ?? {}), ['User-Agent', 'uphop']];
  const viaProxy = o.proxy && url.protocol === 'http:';
  const auth = viaProxy ? proxyAuthorization(o.proxy!) : undefined;
  if (auth) headers.push(['Proxy-Authorization', auth]);
  for (const [k, v] of headers) checkHeader(k, v);
  // through a proxy, an http target is named in full (absolute-URI form); https goes through a tunnel
  const target = `${viaProxy ? url.origin : ''}${url.pathname}${url.search}`;
  return `GET ${target} HTTP/1.1\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
}

export async function rawGet(url: URL, sink: ChunkSink, o: RawGetOptions = {}): Promise<RawResponse> {
  const head = requestHead(url, o);
  for (let attempt = 0; ; attempt++) {
    const conn = await connection(url, o);
    try {
      return await exchange(conn, head, sink, o);
    } catch (e) {
      if (!(e instanceof StaleConnection) || attempt > 0) throw e;
    }
  }
}

function exchange(conn: Conn, request: string, sink: ChunkSink, o: RawGetOptions): Promise<RawResponse> {
  return new Promise<RawResponse>((resolve, reject) => {
    const socket = conn.socket;
    let head: Buffer | undefined = Buffer.alloc(0);
    let res: RawResponse | undefined;
    let length: number | undefined;
    let received = 0;
    let errorDoc = '';
    let settled = false;
    let heard = false;

    let statusLine = '';
    const reusable = () => {
      if (!res || length === undefined || received !== length) return false;
      const connection = res.headers.connection?.toLowerCase();
      // HTTP/1.0 closes unless it says keep-alive; 1.1 keeps alive unless it says close
      return connection !== 'close' && (!statusLine.startsWith('HTTP/1.0') || connection === 'keep-alive');
    };
    const settle = (e?: unknown) => {
      if (settled) return;
      settled = true;
      conn.handler = undefined;
      if (e || !reusable()) {
        drop(conn);
        socket.destroy();
      } else release(conn);
      if (e) reject(e);
      else resolve(errorDoc ? { ...res!, body: errorDoc } : res!);
    };
    const complete = () => length !== undefined && received >= length;
    /** a reused connection that ends before a single byte of answer was closed by the server while idle */
    const lost = (e: Error) => settle(conn.reused && !heard ? new StaleConnection(e.message) : e);

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

    const read = (n: number, buf: Buffer): boolean => {
      if (settled) return false;
      heard = true;
      if (!head) return body(buf.subarray(0, n));
      head = Buffer.concat([head, buf.subarray(0, n)]); // the header is small: copying it is cheap
      for (;;) {
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) {
          if (head.length > MAX_HEAD) settle(new Error('the server sent an over-long response header'));
          return true;
        }
        try {
          const text = head.subarray(0, end).toString('latin1');
          res = parseHead(text);
          statusLine = text.slice(0, 9);
        } catch (e) {
          settle(e);
          return false;
        }
        head = head.subarray(end + 4);
        if (res.status === 101) {
          settle(new Error('the server switched protocols (HTTP 101) in answer to a GET'));
          return false;
        }
        if (res.status >= 200) break;
        res = undefined; // 100 Continue, 103 Early Hints: the real answer follows
      }
      const rest = head;
      head = undefined;
      if (res.headers['transfer-encoding'] && res.headers['transfer-encoding'] !== 'identity') {
        settle(new UnsupportedFraming(`transfer-encoding ${res.headers['transfer-encoding']}`));
        return false;
      }
      // 204 and 304 never carry a body, whatever their headers say
      length = res.status === 204 || res.status === 304 ? 0 : res.headers['content-length'] === undefined ? undefined : Number(res.headers['content-length']);
      if (length === 0 || rest.length === 0) {
        if (complete()) settle();
        return true;
      }
      return body(rest);
    };

    conn.handler = {
      read,
      error: (e) => lost(e),
      close: () => {
        if (res && length === undefined) return settle(); // the body ran to the end of the connection
        lost(new Error(res ? `the connection closed after ${received} of ${length} bytes` : 'the connection closed before a response'));
      },
      timeout: () => settle(Object.assign(new Error(`the server sent nothing for ${Math.round((o.idleMs ?? 60_000) / 1000)} s`), { code: 'ETIMEDOUT' })),
    };
    socket.setTimeout(o.idleMs ?? 60_000);
    socket.write(request);
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
