/**
 * HTTP(S) proxies for downloads, from the environment as curl and AWS SDK users
 * set it: HTTPS_PROXY for https targets, HTTP_PROXY for http ones (lower-case
 * names too, which win, as in curl), NO_PROXY a comma list of hosts, domain
 * suffixes (`.corp` or `corp`), `host:port`, IP addresses or `*`. An https target
 * is reached through a CONNECT tunnel (TLS end to end: the proxy sees only the
 * host name), an http target by an absolute-URI request to the proxy. No
 * library: the tunnel is one request line and one response head.
 *
 * Everything the download checks (catalog signature, sha256, the bundle's
 * signatures) is above this layer and unchanged: a proxy is just another
 * network an attacker may control (docs/trust.md).
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { usageError } from '../errors.js';

export type Env = NodeJS.ProcessEnv;

const pick = (env: Env, name: string) => env[name.toLowerCase()] || env[name.toUpperCase()] || undefined;

/** the proxy to use for `target`, or undefined to connect directly */
export function proxyFor(target: URL, env: Env = process.env): URL | undefined {
  const raw = pick(env, target.protocol === 'https:' ? 'https_proxy' : 'http_proxy');
  if (!raw) return undefined;
  if (bypassed(target, pick(env, 'no_proxy') ?? '')) return undefined;
  let proxy: URL;
  try {
    proxy = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
  } catch {
    throw badProxy(raw, 'it is not a URL');
  }
  if (proxy.protocol !== 'http:' && proxy.protocol !== 'https:') throw badProxy(raw, `${proxy.protocol} proxies are not supported`);
  return proxy;
}

const badProxy = (raw: string, why: string) =>
  usageError('PROXY_BAD_URL', `The proxy "${raw.replace(/\/\/[^@/]*@/, '//***@')}" cannot be used: ${why}.`, 'Set HTTPS_PROXY / HTTP_PROXY to http://host:port (or https://host:port), or unset it.');

const defaultPort = (u: URL) => Number(u.port) || (u.protocol === 'https:' ? 443 : 80);
const bareHost = (h: string) => h.replace(/^\[(.*)\]$/, '$1').toLowerCase();

/** NO_PROXY as curl reads it: `*`, exact hosts or IPs, domain suffixes, optional :port */
export function bypassed(target: URL, noProxy: string): boolean {
  const host = bareHost(target.hostname);
  const port = defaultPort(target);
  for (const item of noProxy
    .split(/[\s,]+/)
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean)) {
    if (item === '*') return true;
    const m = net.isIP(item) ? [item, item] : /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(item);
    if (!m) continue;
    if (m[2] && Number(m[2]) !== port) continue;
    const name = bareHost(m[1]).replace(/^\*?\./, '');
    if (host === name || (!net.isIP(host) && host.endsWith(`.${name}`))) return true;
  }
  return false;
}

/** refuses header names and values that could end the header or split the request (CR, LF, NUL) */
export function checkHeader(name: string, value: string): void {
  if (/[\r\n\0]/.test(value) || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name))
    throw usageError(
      'HEADER_INVALID',
      `The request header ${JSON.stringify(name.slice(0, 40))} carries a line break or an invalid character.`,
      'A value that ends up in an HTTP header (an ETag, a proxy password, a URL) must be a single line; check where it came from.',
    );
}

/** `Proxy-Authorization` for a proxy URL with user:password, else undefined */
export function proxyAuthorization(proxy: URL): string | undefined {
  if (!proxy.username && !proxy.password) return undefined;
  const value = `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}`;
  checkHeader('Proxy-Authorization', value);
  return value;
}

/** a connection to the proxy itself (TLS when the proxy URL is https) */
export function connectProxy(proxy: URL, extra: net.NetConnectOpts | object = {}): net.Socket {
  const host = bareHost(proxy.hostname);
  const base = { host, port: defaultPort(proxy), ...extra };
  return proxy.protocol === 'https:' ? tls.connect({ ...base, servername: net.isIP(host) ? undefined : host }) : net.connect(base);
}

const MAX_HEAD = 16 * 1024;

/** CONNECT host:port through the proxy; resolves with the raw tunnel once the proxy answered 2xx */
export function openTunnel(proxy: URL, host: string, port: number, timeoutMs = 60_000): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const authority = `${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
    checkHeader('Host', authority);
    const auth = proxyAuthorization(proxy);
    const sock = connectProxy(proxy);
    let head = Buffer.alloc(0);
    const fail = (e: Error) => {
      sock.destroy();
      reject(e);
    };
    sock.setTimeout(timeoutMs, () => fail(Object.assign(new Error(`the proxy ${proxy.host} did not answer CONNECT within ${Math.round(timeoutMs / 1000)} s`), { code: 'ETIMEDOUT' })));
    sock.on('error', fail);
    sock.on('close', () => fail(new Error(`the proxy ${proxy.host} closed the connection before it answered CONNECT`)));
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      for (;;) {
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) {
          if (head.length > MAX_HEAD) fail(new Error(`the proxy ${proxy.host} sent an over-long answer to CONNECT`));
          return;
        }
        const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head.subarray(0, end).toString('latin1'))?.[1] ?? 0);
        const rest = head.subarray(end + 4);
        if (status >= 100 && status < 200) {
          head = rest;
          continue;
        } // interim answers come before the real one
        sock.off('data', onData);
        sock.pause(); // nothing may flow to nobody before TLS (or the caller) takes the socket over
        sock.removeAllListeners('close');
        sock.removeAllListeners('error');
        sock.setTimeout(0);
        if (status < 200 || status >= 300)
          return fail(Object.assign(new Error(`the proxy ${proxy.host} refused CONNECT ${authority} (HTTP ${status || '?'})`), { code: status === 407 ? 'EPROXYAUTH' : 'EPROXY' }));
        if (rest.length) sock.unshift(rest);
        return resolve(sock);
      }
    };
    sock.on('data', onData);
    sock.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${auth ? `Proxy-Authorization: ${auth}\r\n` : ''}User-Agent: uphop\r\n\r\n`);
  });
}

/**
 * Agents for the AWS SDK's NodeHttpHandler that go through the proxy the
 * environment names for each request's host (NO_PROXY decides per host, as the
 * endpoint may be AWS or an on-site server): https by a CONNECT tunnel, http by
 * absolute-URI requests to the proxy. Connections are kept alive as the SDK's
 * default agents do.
 */
export function proxyAgents(env: Env): { httpAgent: http.Agent; httpsAgent: https.Agent } {
  class TunnelAgent extends https.Agent {
    createConnection(req: http.RequestOptions, cb?: (e: Error | null, s: Duplex) => void): Duplex | null | undefined {
      const options = req as tls.ConnectionOptions & { host?: string; port?: number };
      const host = options.host ?? 'localhost';
      const port = Number(options.port) || 443;
      const proxy = proxyFor(new URL(`https://${net.isIPv6(host) ? `[${host}]` : host}:${port}/`), env);
      if (!proxy) return tls.connect(options);
      // the callback form: Node's agent waits for the socket the tunnel gives
      openTunnel(proxy, host, port).then(
        (tunnel) => cb?.(null, tls.connect({ ...options, socket: tunnel, servername: options.servername ?? (net.isIP(host) ? undefined : host) })),
        (e: Error) => cb?.(e, undefined as unknown as Duplex),
      );
      return undefined;
    }
  }
  class ForwardAgent extends http.Agent {
    addRequest(req: http.ClientRequest, options: http.RequestOptions & { host?: string; port?: number }) {
      const host = options.host ?? 'localhost';
      const port = Number(options.port) || 80;
      const target = new URL(`http://${net.isIPv6(host) ? `[${host}]` : host}:${port}`);
      const proxy = proxyFor(target, env);
      if (proxy) {
        // absolute-URI form: the proxy forwards it; the Host header still names the target
        req.path = `${target.origin}${req.path}`;
        const auth = proxyAuthorization(proxy);
        if (auth) req.setHeader('Proxy-Authorization', auth);
        options = { ...options, host: bareHost(proxy.hostname), port: defaultPort(proxy), viaProxy: proxy } as typeof options;
      }
      // addRequest is not in @types/node's Agent, but it is what ClientRequest calls
      return (http.Agent.prototype as unknown as { addRequest: (r: unknown, o: unknown) => void }).addRequest.call(this, req, options);
    }

    createConnection(options: net.NetConnectOpts & { viaProxy?: URL }): net.Socket {
      return options.viaProxy ? connectProxy(options.viaProxy) : net.createConnection(options);
    }
  }
  return { httpAgent: new ForwardAgent({ keepAlive: true }), httpsAgent: new TunnelAgent({ keepAlive: true }) };
}
