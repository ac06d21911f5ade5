/**
 * Test fixtures: real bundle inputs on disk, a valid manifest for them, a
 * bare manifest and a signing key for the hostile-input tests, and a tar
 * crafter built on node-tar's own Header (an implementation independent of
 * ours) to make the malicious archives a real attacker could make.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Header, type EntryTypeName } from 'tar';
import { expect } from 'vitest';
import { UphopError } from '../../src/errors.js';
import { MANIFEST_FORMAT, type FileEntry, type Manifest } from '../../src/bundle/manifest.js';
import { generateKeyPair, loadPrivateKey, signBytes } from '../../src/bundle/sign.js';
import { writeBundle, type BundleEntry } from '../../src/bundle/write.js';

export const TOP = 'beacon-4.0.1-to-4.1.1';
export const MTIME = 1_700_000_000;

const tmpDirs: string[] = [];
export async function tmpDir(): Promise<string> {
  const d = await mkdtemp(join(os.tmpdir(), 'uphop-bundle-test-'));
  tmpDirs.push(d);
  return d;
}
export async function cleanup(): Promise<void> {
  await Promise.all(tmpDirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** an already-compressed-looking package: gzip magic then random bytes */
export const fakeTgz = (size: number) => Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), randomBytes(size - 4)]);
export const text = (size: number) => Buffer.from('the quick brown fox jumps over the lazy dog\n'.repeat(Math.ceil(size / 44)).slice(0, size));

export interface InputFile {
  path: string;
  data: Buffer;
  mode: number;
}

export function sampleFiles(): InputFile[] {
  return [
    { path: 'install.sh', data: Buffer.from('#!/bin/sh\nexec node installer/main.js "$@"\n'), mode: 0o755 },
    { path: 'installer/main.js', data: text(20_000), mode: 0o644 },
    { path: 'components/beacon-rest-4.1.1.tgz', data: fakeTgz(300_000), mode: 0o644 },
    { path: 'configs/rest-service.yaml.tmpl', data: Buffer.from('port: ${rest_port}\n'), mode: 0o640 },
    { path: 'migrations/4.1.1/001-add-tags.mjs', data: Buffer.from('export const up = async () => {};\n'), mode: 0o644 },
    { path: 'hooks/check-disk.sh', data: Buffer.from('#!/bin/sh\ntrue\n'), mode: 0o755 },
  ];
}

/** writes the inputs under dir, returns writer entries reading from those files */
export async function materialize(dir: string, files: InputFile[]): Promise<BundleEntry[]> {
  const entries: BundleEntry[] = [];
  for (const f of files) {
    const file = join(dir, 'inputs', f.path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, f.data);
    await chmod(file, f.mode);
    entries.push({ path: f.path, source: { file }, mode: f.mode, sha256: sha256(f.data), size: f.data.length });
  }
  return entries;
}

export function manifestFor(entries: Pick<BundleEntry, 'path' | 'mode' | 'sha256' | 'size'>[]): Manifest {
  const has = (p: string) => entries.some((e) => e.path === p);
  return {
    format: MANIFEST_FORMAT,
    product: 'beacon',
    from: '4.0.1',
    to: '4.1.1',
    created: new Date(MTIME * 1000).toISOString(),
    platform: { os: 'linux', arch: 'x64', node: '20', modules: '115' },
    components: has('components/beacon-rest-4.1.1.tgz') ? [{ name: 'rest-service', version: '4.1.1', type: 'tarball', file: 'components/beacon-rest-4.1.1.tgz' }] : [],
    configs: has('configs/rest-service.yaml.tmpl') ? [{ template: 'configs/rest-service.yaml.tmpl', dest: 'etc/beacon/rest-service.yaml', mode: '0640' }] : [],
    migrations: has('migrations/4.1.1/001-add-tags.mjs') ? [{ version: '4.1.1', name: '4.1.1/001-add-tags.mjs', file: 'migrations/4.1.1/001-add-tags.mjs', phase: 'main' }] : [],
    services: { order: has('components/beacon-rest-4.1.1.tgz') ? ['rest-service'] : [], health: [{ name: 'rest', http: 'http://127.0.0.1:8080/health' }] },
    hooks: has('hooks/check-disk.sh') ? { preflight: 'hooks/check-disk.sh' } : {},
    files: Object.fromEntries(entries.map((e) => [e.path, { sha256: e.sha256, size: e.size, mode: `0${e.mode.toString(8)}` }])),
  };
}

/** the top folder of the hostile-input tests' bundles (a product with nothing in it) */
export const ACME_TOP = 'acme-1.0.0-to-1.1.0';

/** acme 1.0.0 -> 1.1.0 listing only `files`: no components, configs, migrations, services or hooks */
export function acmeManifest(files: Record<string, FileEntry>): Manifest {
  return {
    format: 1,
    product: 'acme',
    from: '1.0.0',
    to: '1.1.0',
    created: '2023-11-14T22:13:20.000Z',
    platform: { os: 'linux', arch: 'x64', node: '>=20', modules: '115' },
    components: [],
    configs: [],
    migrations: [],
    services: { order: [], health: [] },
    hooks: {},
    files,
  };
}

/** a new key pair under dir: the public key file (for --trust) and a signer with its private key */
export async function signingKey(dir: string): Promise<{ pub: string; sign: (bytes: Buffer) => Buffer }> {
  const keys = await generateKeyPair(dir);
  const key = await loadPrivateKey(keys.privateKeyPath);
  return { pub: keys.publicKeyPath, sign: (bytes) => signBytes(bytes, key) };
}

export const manifestBytes = (m: Manifest) => Buffer.from(JSON.stringify(m, null, 2) + '\n');

/** writes a bundle of `files` into dir; `edit` may change the manifest (to make it lie) */
export async function buildBundle(dir: string, files = sampleFiles(), o: { edit?: (m: Manifest) => void; signature?: (bytes: Buffer) => Buffer; mtime?: number; name?: string } = {}) {
  const entries = await materialize(dir, files);
  const manifest = manifestFor(entries);
  o.edit?.(manifest);
  const bytes = manifestBytes(manifest);
  const out = join(dir, o.name ?? `${TOP}.tar.gz`);
  const written = await writeBundle({ out, topDir: TOP, manifestBytes: bytes, signature: o.signature?.(bytes), entries, mtime: o.mtime ?? MTIME });
  return { ...written, manifest, bytes, entries };
}

/** paxPath: a PAX record that overrides the ustar path, as readers must honour it */
export interface RawEntry {
  path: string;
  type?: EntryTypeName;
  data?: Buffer;
  mode?: number;
  linkpath?: string;
  paxPath?: string;
}

/** a PAX header holding only a path record, its ustar header made by node-tar */
function paxHeader(path: string): Buffer[] {
  const body = ` path=${path}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  const data = Buffer.from(`${len}${body}`);
  const h = new Header({ path: 'PaxHeader/x', type: 'ExtendedHeader', mode: 0o644, size: data.length, mtime: new Date(MTIME * 1000), uid: 0, gid: 0 });
  h.encode();
  return [h.block!, data, Buffer.alloc((512 - (data.length % 512)) % 512)];
}

/** a gzip'd tar of exactly these entries, headers made by node-tar */
export function craftTar(entries: RawEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = e.data ?? Buffer.alloc(0);
    const type = e.type ?? 'File';
    const h = new Header({
      path: e.path,
      type,
      mode: e.mode ?? (type === 'Directory' ? 0o755 : 0o644),
      size: type === 'File' ? data.length : 0,
      linkpath: e.linkpath,
      mtime: new Date(MTIME * 1000),
      uid: 0,
      gid: 0,
    });
    h.encode();
    if (e.paxPath) parts.push(...paxHeader(e.paxPath));
    parts.push(h.block!, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(parts));
}

/** a crafted bundle: a valid head for `files`, then `entries` exactly as given */
export function craftBundle(files: InputFile[], entries: RawEntry[], edit?: (m: Manifest) => void): Buffer {
  const m = manifestFor(files.map((f) => ({ path: f.path, mode: f.mode, sha256: sha256(f.data), size: f.data.length })));
  edit?.(m);
  return craftTar([{ path: `${TOP}/`, type: 'Directory' }, { path: `${TOP}/bundle.json`, data: manifestBytes(m) }, ...entries]);
}

export const fileEntry = (f: InputFile): RawEntry => ({ path: `${TOP}/${f.path}`, data: f.data, mode: f.mode });

/** awaits a refusal (exit 3) with this code whose message names `mention` */
export async function expectRefusal(p: Promise<unknown>, code: string, mention?: string): Promise<UphopError> {
  const e = await p.then(
    () => new Error('expected a refusal, but it succeeded'),
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(UphopError);
  const err = e as UphopError;
  expect({ code: err.code, exitCode: err.exitCode }).toEqual({ code, exitCode: 3 });
  if (mention) expect(err.message).toContain(mention);
  expect(err.hint).toBeTruthy();
  return err;
}
