/**
 * Real things for distribution tests: an S3-protocol server (s3rver) on loopback
 * that counts the object bytes it serves and can cut transfers off, signing
 * keys, and small valid bundles made with the real bundle writer.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import { bundleFileName, bundleId, MANIFEST_FORMAT, type Manifest } from '../../src/bundle/manifest.js';
import { generateKeyPair, loadPrivateKey, signBytes } from '../../src/bundle/sign.js';
import { writeBundle } from '../../src/bundle/write.js';
import { hashFile } from '../../src/bundle/hash.js';
import type { StoreOptions } from '../../src/store/types.js';

const dirs: string[] = [];
export async function tmp(prefix = 'uphop-store-test-'): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), prefix));
  dirs.push(d);
  return d;
}
export async function cleanup(): Promise<void> {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

export const BUCKET = 'bundles';

export interface S3Fixture {
  endpoint: string;
  /** store options for this server with the right credentials */
  opts: StoreOptions;
  /** bundle (.tar.gz) body bytes served by GET requests since the last reset */
  served(): number;
  resetServed(): void;
  /** cut every GET response once `bytes` more object bytes were served in total */
  cutAfter(bytes: number | undefined): void;
  /** hold the next PUT whose path matches until released: a publisher stalled mid-write */
  holdNextPut(path: RegExp): { arrived: Promise<void>; release: () => void };
  stop(): Promise<void>;
}

export async function startS3(): Promise<S3Fixture> {
  const dir = await tmp('uphop-s3rver-');
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: !process.env.S3RVER_VERBOSE, directory: dir, configureBuckets: [{ name: BUCKET }] });
  type Hold = { path: RegExp; arrived: () => void; released: Promise<void> };
  const holds: Hold[] = [];
  // Koa composes its middleware when the server starts listening: this one runs first
  (server as unknown as { middleware: unknown[] }).middleware.unshift(async (ctx: { method: string; path: string }, next: () => Promise<void>) => {
    const i = holds.findIndex((h) => ctx.method === 'PUT' && h.path.test(ctx.path));
    if (i >= 0) {
      const [h] = holds.splice(i, 1);
      h.arrived();
      await h.released;
    }
    await next();
  });
  const addr = (await server.run()) as { port: number };
  const http = (server as unknown as { httpServer: import('node:http').Server }).httpServer;
  let served = 0;
  let budget: number | undefined;
  http.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    // only bundle bodies: catalog reads and probes are not what resume tests count
    if (req.method !== 'GET' || !/\.tar\.gz(\?|$)/.test(req.url ?? '')) return;
    const write = res.write.bind(res) as (c: Buffer, ...a: unknown[]) => boolean;
    res.write = ((chunk: Buffer | string, ...a: unknown[]) => {
      let buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      if (budget !== undefined) {
        if (budget <= 0) {
          res.socket?.destroy();
          return false;
        }
        if (buf.length > budget) buf = buf.subarray(0, budget);
        budget -= buf.length;
      }
      served += buf.length;
      return write(buf, ...a);
    }) as typeof res.write;
  });
  const endpoint = `http://127.0.0.1:${addr.port}`;
  return {
    endpoint,
    opts: { endpoint, pathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, env: {} },
    served: () => served,
    resetServed: () => {
      served = 0;
    },
    cutAfter: (bytes) => {
      budget = bytes;
    },
    holdNextPut: (path) => {
      let arrived!: () => void;
      let release!: () => void;
      const a = new Promise<void>((r) => (arrived = r));
      holds.push({ path, arrived, released: new Promise<void>((r) => (release = r)) });
      return { arrived: a, release };
    },
    stop: async () => {
      http.closeAllConnections?.();
      await server.close();
    },
  };
}

export interface BundleSpec {
  product?: string;
  from: string;
  to: string;
  /** random (incompressible) payload bytes */
  payload?: number;
  signKey?: string;
  /** bytes of incompressible filler in an extra manifest field (a large manifest) */
  manifestPad?: number;
}

/** a valid bundle <dir>/<product>-<from>-to-<to>.tar.gz holding one payload file */
export async function makeBundle(dir: string, spec: BundleSpec): Promise<string> {
  const payloadFile = path.join(dir, `payload-${randomBytes(4).toString('hex')}.bin`);
  const size = spec.payload ?? 4096;
  await writeRandom(payloadFile, size);
  const { sha256 } = await hashFile(payloadFile);
  const m: Manifest = {
    format: MANIFEST_FORMAT,
    product: spec.product ?? 'beacon',
    from: spec.from,
    to: spec.to,
    created: '2024-01-01T00:00:00.000Z',
    platform: { os: 'linux', arch: 'x64', node: '20', modules: '115' },
    components: [],
    configs: [],
    migrations: [],
    services: { order: [], health: [] },
    hooks: {},
    files: { 'payload.bin': { sha256, size, mode: '0644' } },
  };
  if (spec.manifestPad) Object.assign(m, { notes: randomBytes(spec.manifestPad).toString('base64') });
  const manifestBytes = Buffer.from(JSON.stringify(m, null, 2) + '\n');
  const signature = spec.signKey ? signBytes(manifestBytes, await loadPrivateKey(spec.signKey)) : undefined;
  const out = path.join(dir, bundleFileName(m));
  await writeBundle({
    out,
    topDir: bundleId(m),
    manifestBytes,
    signature,
    entries: [{ path: 'payload.bin', source: { file: payloadFile }, mode: 0o644, sha256, size }],
    mtime: 1_700_000_000,
    level: 1,
  });
  await rm(payloadFile);
  return out;
}

async function writeRandom(file: string, size: number): Promise<void> {
  const ws = createWriteStream(file);
  let left = size;
  while (left > 0) {
    const n = Math.min(left, 1024 * 1024);
    const chunk = randomBytes(n);
    if (!ws.write(chunk)) await new Promise((r) => ws.once('drain', r));
    left -= n;
  }
  await new Promise<void>((resolve, reject) => ws.end((e?: Error) => (e ? reject(e) : resolve())));
}

export async function keys(dir: string) {
  const k = await generateKeyPair(dir);
  return { key: k.privateKeyPath, pub: k.publicKeyPath, fingerprint: k.fingerprint };
}
