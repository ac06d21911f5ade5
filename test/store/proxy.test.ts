/**
 * Downloads behind a proxy keep every check (issue 9 item 6). A real forwarding
 * proxy on loopback (node:http: CONNECT tunnels and absolute-URI forwarding, each
 * counted) in front of s3rver, over http and https; NO_PROXY; interim 1xx answers;
 * header values with CR/LF; keep-alive across the ranged parts of one download.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import S3rver from 's3rver';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hashFile } from '../../src/bundle/hash.js';
import { closeIdleConnections, rawGet } from '../../src/store/http-get.js';
import { download } from '../../src/store/download.js';
import { fetchBundles } from '../../src/store/fetch.js';
import { openStore } from '../../src/store/open.js';
import { bypassed, proxyFor } from '../../src/store/proxy.js';
import { publish } from '../../src/store/publish.js';
import { BUCKET, cleanup, keys, makeBundle, startS3, tmp, type S3Fixture } from './helpers.js';

const TLS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'tls');
const CLI = path.resolve('dist/cli/main.js');

interface Proxy {
  url: string;
  connects: string[];
  forwarded: string[];
  connections: number;
  close(): Promise<void>;
}

/** a forwarding proxy: CONNECT host:port is tunnelled, GET http://host/path is forwarded; every one counted */
async function startProxy(auth?: string): Promise<Proxy> {
  const p = { connects: [] as string[], forwarded: [] as string[], connections: 0 };
  const allowed = (req: http.IncomingMessage) => !auth || req.headers['proxy-authorization'] === `Basic ${Buffer.from(auth).toString('base64')}`;
  const server = http.createServer((req, res) => {
    if (!allowed(req)) return void res.writeHead(407, { 'proxy-authenticate': 'Basic realm="test"' }).end();
    if (!/^http:\/\//.test(req.url ?? '')) return void res.writeHead(400).end('absolute URI required');
    p.forwarded.push(`${req.method} ${req.url}`);
    const u = new URL(req.url!);
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    const up = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: req.method, headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  server.on('connection', () => p.connections++);
  server.on('connect', (req, client, head) => {
    if (!allowed(req)) return void client.end('HTTP/1.1 407 Proxy Authentication Required\r\n\r\n');
    p.connects.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const up = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    up.on('error', () => client.destroy());
    client.on('error', () => up.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    get connects() {
      return p.connects;
    },
    get forwarded() {
      return p.forwarded;
    },
    get connections() {
      return p.connections;
    },
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

let s3: S3Fixture;
let proxy: Proxy;
let k: Awaited<ReturnType<typeof keys>>;
let bundleFile: string;
const storeUrl = `s3://${BUCKET}/proxied`;
beforeAll(async () => {
  s3 = await startS3();
  proxy = await startProxy();
  k = await keys(await tmp());
  bundleFile = await makeBundle(await tmp(), { from: '5.0.0', to: '5.1.0', signKey: k.key, payload: 6_000_000 });
  await publish({ bundles: [bundleFile], store: storeUrl, storeOptions: s3.opts, signKey: k.key });
});
afterAll(async () => {
  closeIdleConnections();
  await proxy?.close();
  await s3?.stop();
  await cleanup();
});
afterEach(() => closeIdleConnections());

const fetchVia = async (env: NodeJS.ProcessEnv, extra: object = {}) =>
  fetchBundles({ from: '5.0.0', to: '5.1.0', store: storeUrl, out: await tmp(), storeOptions: { ...s3.opts, env }, trust: k.pub, home: await tmp(), partSize: 1024 * 1024, ...extra });

describe('fetch through a forwarding proxy (http endpoint: absolute-URI requests)', () => {
  it('goes through the proxy for the SDK calls and the fast path, and still verifies sha256 and both signatures', async () => {
    const before = proxy.forwarded.length;
    const got = await fetchVia({ HTTP_PROXY: proxy.url });
    const through = proxy.forwarded.slice(before);
    expect(through.some((r) => /^GET http:\/\/127\.0\.0\.1:\d+\/bundles\/proxied\/beacon-5\.0\.0-to-5\.1\.0\.tar\.gz\?/.test(r))).toBe(true); // the presigned fast path
    expect(through.some((r) => r.startsWith('HEAD '))).toBe(true); // the SDK's HeadObject
    expect(through.some((r) => /catalog\.json/.test(r))).toBe(true);
    expect(got.bundles[0].sha256).toBe((await hashFile(bundleFile)).sha256);
    expect(got.bundles[0].signer).toBe(k.fingerprint);
    expect(got.bundles[0].sig).toBeDefined();
  });

  it('keeps one connection alive across the ranged parts of a download', async () => {
    const [before, conns] = [proxy.forwarded.length, proxy.connections];
    const store = openStore(storeUrl, { ...s3.opts, env: { HTTP_PROXY: proxy.url } });
    const { sha256, size } = await hashFile(bundleFile);
    // no link counts as fast: the download adds parallel ranges of one 256 KiB part each
    await download({ store, key: 'beacon-5.0.0-to-5.1.0.tar.gz', dest: path.join(await tmp(), 'b.tar.gz'), expected: { sha256, size }, partSize: 256 * 1024, concurrency: 2, fastLink: Infinity });
    store.close();
    const parts = proxy.forwarded.slice(before).filter((r) => r.startsWith('GET ') && r.includes('.tar.gz?'));
    expect(parts.length).toBeGreaterThanOrEqual(5);
    // the SDK's HEAD plus at most `concurrency` connections for every part request
    expect(proxy.connections - conns).toBeLessThanOrEqual(4);
    expect(proxy.connections - conns).toBeLessThan(parts.length);
  });

  it('NO_PROXY sends it directly, and without NO_PROXY a dead proxy is really used (and fails)', async () => {
    const before = proxy.forwarded.length + proxy.connects.length;
    const got = await fetchVia({ HTTP_PROXY: proxy.url, NO_PROXY: 'localhost,127.0.0.1' });
    expect(got.bundles[0].sha256).toBe((await hashFile(bundleFile)).sha256);
    expect(proxy.forwarded.length + proxy.connects.length).toBe(before);
    const dead = await new Promise<number>((r) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as net.AddressInfo).port;
        s.close(() => r(port));
      });
    });
    await expect(fetchVia({ HTTP_PROXY: `http://127.0.0.1:${dead}` }, { retries: 0 })).rejects.toThrow();
  });
});

describe('a proxy that wants credentials', () => {
  it('gets them from the proxy URL (user:password@), and a wrong password is refused without being printed', async () => {
    const locked = await startProxy('uphop:s3cr%t');
    try {
      const url = new URL(locked.url);
      const withAuth = `http://uphop:${encodeURIComponent('s3cr%t')}@${url.host}`;
      const got = await fetchVia({ HTTP_PROXY: withAuth });
      expect(got.bundles[0].sha256).toBe((await hashFile(bundleFile)).sha256);
      expect(locked.forwarded.length).toBeGreaterThan(0);
      const err = await fetchVia({ HTTP_PROXY: `http://uphop:wrong-pass@${url.host}` }, { retries: 0 }).catch((e) => e);
      expect(err).toBeInstanceOf(Error);
      expect(String(err.message) + String(err.hint ?? '')).not.toContain('wrong-pass');
    } finally {
      await locked.close();
    }
  });
});

describe('fetch through a CONNECT tunnel (https endpoint), as the CLI runs it', () => {
  it('tunnels every request, NODE_EXTRA_CA_CERTS trusted end to end, and verifies the download', async () => {
    const dir = await tmp('uphop-s3rver-tls-');
    const server = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory: dir,
      configureBuckets: [{ name: BUCKET }],
      key: readFileSync(path.join(TLS, 'key.pem')),
      cert: readFileSync(path.join(TLS, 'cert.pem')),
    });
    const { port } = (await server.run()) as { port: number };
    try {
      const endpoint = `https://127.0.0.1:${port}`;
      const env = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', NODE_EXTRA_CA_CERTS: path.join(TLS, 'cert.pem'), UPHOP_HOME: await tmp() };
      const store = `s3://${BUCKET}/tls`;
      const run = (args: string[], extra: NodeJS.ProcessEnv) =>
        new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
          const c = spawn(process.execPath, [CLI, ...args, '--store', store, '--endpoint', endpoint, '--path-style'], { env: { PATH: process.env.PATH, ...env, ...extra } });
          let [stdout, stderr] = ['', ''];
          c.stdout.on('data', (d) => (stdout += d));
          c.stderr.on('data', (d) => (stderr += d));
          c.on('close', (code) => resolve({ code, stdout, stderr }));
        });
      const pub = await run(['publish', bundleFile, '--sign-key', k.key], {});
      expect(pub.code, pub.stderr).toBe(0);
      const before = proxy.connects.length;
      const out = await tmp();
      const got = await run(['fetch', '--from', '5.0.0', '--to', '5.1.0', '--out', out, '--trust', k.pub, '--json'], { HTTPS_PROXY: proxy.url });
      expect(got.code, got.stderr.slice(-3000)).toBe(0);
      const tunnels = proxy.connects.slice(before);
      expect(tunnels.length).toBeGreaterThan(0);
      expect(tunnels.every((t) => t === `127.0.0.1:${port}`)).toBe(true);
      const b = JSON.parse(got.stdout).bundles[0];
      expect(b.sha256).toBe((await hashFile(bundleFile)).sha256);
      expect(b.signer).toBe(k.fingerprint);
    } finally {
      await server.close();
    }
  }, 60_000);
});

describe('the fast path itself', () => {
  const body = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
  const servers: net.Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });
  async function raw(onConn: (sock: net.Socket) => void): Promise<URL> {
    const s = net.createServer(onConn);
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return new URL(`http://127.0.0.1:${(s.address() as net.AddressInfo).port}/obj`);
  }

  it('skips 100 Continue and 103 Early Hints before the real answer, even split mid-line', async () => {
    const url = await raw((sock) =>
      sock.once('data', () => {
        const all = Buffer.concat([
          Buffer.from('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n'),
          body,
        ]);
        sock.write(all.subarray(0, 30));
        setTimeout(() => sock.end(all.subarray(30)), 20);
      }),
    );
    const parts: Buffer[] = [];
    const res = await rawGet(url, (c) => {
      parts.push(Buffer.from(c));
    });
    expect(res.status).toBe(200);
    expect(Buffer.concat(parts).equals(body)).toBe(true);
  });

  it('takes a 304 without Content-Length as bodiless on a connection the server keeps open', async () => {
    const url = await raw((sock) => sock.once('data', () => sock.write('HTTP/1.1 304 Not Modified\r\nETag: "x"\r\n\r\n')));
    const res = await rawGet(
      url,
      () => {
        throw new Error('no body expected');
      },
      { idleMs: 5000 },
    );
    expect(res).toMatchObject({ status: 304, headers: { etag: '"x"' } });
  });

  it('refuses a header value with CR/LF before connecting anywhere', async () => {
    let connections = 0;
    const url = await raw((sock) => {
      connections++;
      sock.destroy();
    });
    for (const bad of ['"etag"\r\nX-Injected: 1', 'a\nb', 'a\rb']) {
      await expect(rawGet(url, () => {}, { headers: { 'If-Match': bad } })).rejects.toMatchObject({ code: 'HEADER_INVALID', exitCode: 2 });
    }
    await expect(rawGet(url, () => {}, { headers: { 'X-Bad\r\nName': 'v' } })).rejects.toMatchObject({ code: 'HEADER_INVALID' });
    expect(connections).toBe(0);
  });

  it('reuses one connection for sequential requests, and retries once when the server dropped an idle one', async () => {
    let connections = 0;
    let served = 0;
    const server = http.createServer((req, res) => {
      served++;
      res.setHeader('content-length', body.length);
      res.end(body);
      // a rude server: every third answer, it drops the connection right after, without saying so
      if (served % 3 === 0) setImmediate(() => req.socket.destroy());
    });
    server.on('connection', () => connections++);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = new URL(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}/obj`);
    try {
      for (let i = 0; i < 9; i++) {
        const parts: Buffer[] = [];
        expect(
          (
            await rawGet(url, (c) => {
              parts.push(Buffer.from(c));
            })
          ).status,
        ).toBe(200);
        expect(Buffer.concat(parts).equals(body)).toBe(true);
      }
      expect(served).toBeGreaterThanOrEqual(9);
      expect(connections).toBeLessThanOrEqual(4);
    } finally {
      closeIdleConnections();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('proxy selection', () => {
  it('reads the variables as curl does, lower case first; NO_PROXY by host, suffix, port, *', () => {
    const t = (u: string) => new URL(u);
    expect(proxyFor(t('https://s3.example.com/x'), { HTTPS_PROXY: 'http://p:3128' })?.href).toBe('http://p:3128/');
    expect(proxyFor(t('https://s3.example.com/x'), { HTTPS_PROXY: 'http://p:3128', https_proxy: 'http://q:8080' })?.host).toBe('q:8080');
    expect(proxyFor(t('http://s3.example.com/x'), { HTTPS_PROXY: 'http://p:3128' })).toBeUndefined();
    expect(proxyFor(t('http://s3.example.com/x'), { HTTP_PROXY: 'p:3128' })?.href).toBe('http://p:3128/');
    expect(() => proxyFor(t('https://a/x'), { HTTPS_PROXY: 'socks5://p:1080' })).toThrow(/not supported/);
    expect(bypassed(t('https://s3.example.com'), 'example.com')).toBe(true);
    expect(bypassed(t('https://s3.example.com'), '.example.com')).toBe(true);
    expect(bypassed(t('https://s3.example.com'), 'ample.com')).toBe(false);
    expect(bypassed(t('https://s3.example.com'), 'example.com:8443')).toBe(false);
    expect(bypassed(t('https://s3.example.com:8443'), 'example.com:8443')).toBe(true);
    expect(bypassed(t('http://127.0.0.1:9000'), 'localhost, 127.0.0.1')).toBe(true);
    expect(bypassed(t('http://[::1]:9000'), '::1')).toBe(true);
    expect(bypassed(t('http://10.0.0.1'), '*')).toBe(true);
  });
});
