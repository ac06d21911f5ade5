/**
 * The connections of the download fast path (http-get.ts): one per origin and
 * proxy, kept alive between requests and handed to the next request for the same
 * origin (the ranged parts of one download). A connection reads straight into one
 * buffer of its own (net/tls `onread`) and hands each read to whichever request
 * owns it now; bytes arriving while nobody owns it mean it cannot be trusted with
 * another request, and it is closed. Idle ones never keep the process alive.
 */
import net from 'node:net';
import tls from 'node:tls';
import { connectProxy, openTunnel } from './proxy.js';

export interface ConnOptions {
  /** bytes per read, default 1 MiB */
  bufferSize?: number;
  /** a connection silent this long fails with ETIMEDOUT, default 60 s */
  idleMs?: number;
  /** extra trusted CA for https (tests); the system store and NODE_EXTRA_CA_CERTS apply anyway */
  ca?: string | Buffer;
  /** the proxy to go through (proxyFor decides from the environment) */
  proxy?: URL;
}

/** how long an unused connection is kept: below the usual 5 s keep-alive timeout of servers */
const KEEP_IDLE_MS = 4000;
const MAX_IDLE_PER_ORIGIN = 8;

export interface Handler {
  read(n: number, buf: Buffer): boolean;
  error(e: Error): void;
  close(): void;
  timeout(): void;
}

export interface Conn {
  socket: net.Socket;
  key: string;
  reused: boolean;
  handler?: Handler;
}

const idle = new Map<string, Conn[]>();

export function drop(conn: Conn): void {
  const list = idle.get(conn.key);
  const i = list?.indexOf(conn) ?? -1;
  if (i >= 0) list!.splice(i, 1);
}

export function release(conn: Conn): void {
  conn.handler = undefined;
  const list = idle.get(conn.key) ?? [];
  if (list.length >= MAX_IDLE_PER_ORIGIN) return void conn.socket.destroy();
  idle.set(conn.key, list);
  list.push(conn);
  conn.socket.setTimeout(KEEP_IDLE_MS);
  conn.socket.unref(); // an idle connection never keeps the process alive
  conn.socket.resume(); // so that the server closing it is noticed
}

/** close every kept-alive connection (tests, and a caller about to exit on its own terms) */
export function closeIdleConnections(): void {
  for (const list of idle.values()) for (const c of list.splice(0)) c.socket.destroy();
}

export async function connection(url: URL, o: ConnOptions): Promise<Conn> {
  const https = url.protocol === 'https:';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(url.port) || (https ? 443 : 80);
  const key = `${url.protocol}//${host}:${port} via ${o.proxy?.href ?? '-'} ${o.bufferSize ?? ''} ${o.ca ? 'ca' : ''}`;
  for (let c = idle.get(key)?.pop(); c; c = idle.get(key)?.pop()) {
    if (c.socket.destroyed) continue;
    c.reused = true;
    c.socket.ref();
    return c;
  }
  const conn = { key, reused: false } as Conn;
  const onread = {
    buffer: Buffer.allocUnsafe(o.bufferSize ?? 1024 * 1024),
    // bytes on an idle connection answer no request: it cannot be trusted with the next one
    callback: (n: number, buf: Buffer) => (conn.handler ? conn.handler.read(n, buf) : (conn.socket.destroy(), false)),
  };
  const secure = { servername: net.isIP(host) ? undefined : host, ca: o.ca ? [...tls.rootCertificates, String(o.ca)] : undefined, onread };
  if (https && o.proxy) {
    // TLS over a tunnel is TLS over a JS stream, where onread does not apply: plain data events, paused the same way
    const { onread: _unused, ...overTunnel } = secure;
    conn.socket = tls.connect({ ...overTunnel, socket: await openTunnel(o.proxy, host, port, o.idleMs) });
    conn.socket.on('data', (chunk: Buffer) => {
      if (!onread.callback(chunk.length, chunk)) conn.socket.pause();
    });
  } else if (https) conn.socket = tls.connect({ host, port, ...secure });
  else conn.socket = o.proxy ? connectProxy(o.proxy, { onread }) : net.connect({ host, port, onread });
  conn.socket.on('error', (e) => (conn.handler ? conn.handler.error(e) : (drop(conn), conn.socket.destroy())));
  conn.socket.on('close', () => {
    drop(conn);
    conn.handler?.close();
  });
  conn.socket.on('timeout', () => (conn.handler ? conn.handler.timeout() : conn.socket.destroy()));
  return conn;
}
