/**
 * One streaming pass over a bundle: head and signature first, then every entry
 * against the manifest. Verify discards the bytes; extract hands them to a sink.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { silent, type Emit } from '../events.js';
import { gunzipChunks } from './gunzip.js';
import { readHead } from './head.js';
import type { Manifest } from './manifest.js';
import { parentDirs, unsafeReason } from './paths.js';
import { requireFile } from './read.js';
import { bundleRefusal } from './refusals.js';
import { tarEntries, type TarEntry } from './tar-entries.js';
import { checkSignature, type TrustOptions } from './trust.js';
import { parseManifest } from './validate.js';

export interface VerifyOptions extends TrustOptions {
  emit?: Emit;
}

export interface VerifiedBundle {
  manifest: Manifest;
  manifestBytes: Buffer;
  topDir: string;
  /** fingerprint of the trusted key that verified the signature */
  signer?: string;
  signed: boolean;
  /** files checked (all of manifest.files) and their total bytes */
  files: number;
  bytes: number;
}

/** where extract puts what it reads; paths are relative to the top folder and already checked */
export interface EntrySink {
  /** called once the signature and manifest checked out, before any other entry */
  onHead(head: { topDir: string; manifest: Manifest; manifestBytes: Buffer; signature?: Buffer }): Promise<void>;
  dir(rel: string): Promise<void>;
  file(rel: string, mode: number): Promise<{ write(chunk: Buffer): Promise<void>; end(): Promise<void> }>;
}

const KINDS: Record<string, string> = { '1': 'a hard link', '2': 'a symbolic link', '3': 'a character device', '4': 'a block device', '6': 'a FIFO' };

export async function scanBundle(path: string, opts: VerifyOptions, task: string, sink?: EntrySink): Promise<VerifiedBundle> {
  await requireFile(path);
  const emit = opts.emit ?? silent;
  const entries = tarEntries(gunzipChunks(createReadStream(path, { highWaterMark: 1024 * 1024 }), path, true), path, true);
  try {
    const head = await readHead(entries, path, true);
    const verdict = await checkSignature(path, head.manifestBytes, head.signature, opts, emit);
    const manifest = parseManifest(head.manifestBytes, path);
    await sink?.onHead({ topDir: head.topDir, manifest, manifestBytes: head.manifestBytes, signature: head.signature });
    const total = Object.values(manifest.files).reduce((n, f) => n + f.size, 0);
    const seen = new Set<string>();
    const dirs = new Dirs(Object.keys(manifest.files));
    let bytes = 0;
    let reported = 0;
    const check = async (e: TarEntry) => {
      bytes += await checkEntry(path, head.topDir, manifest, seen, dirs, e, sink);
      if (bytes - reported >= Math.max(8 << 20, total / 100)) emit({ type: 'progress', task, done: (reported = bytes), total, unit: 'bytes' });
    };
    if (head.next) await check(head.next);
    for (let r = await entries.next(); !r.done; r = await entries.next()) await check(r.value);
    const missing = Object.keys(manifest.files)
      .filter((f) => !seen.has(f))
      .sort();
    if (missing.length) throw bundleRefusal.missingFile(path, `${head.topDir}/${missing[0]}`, missing.length - 1);
    emit({ type: 'progress', task, done: bytes, total, unit: 'bytes' });
    return { manifest, manifestBytes: head.manifestBytes, topDir: head.topDir, ...verdict, files: seen.size, bytes };
  } finally {
    await entries.return(undefined);
  }
}

/** the folders a bundle may hold: those a manifest path lies under, each once */
class Dirs {
  private readonly allowed = new Set<string>();
  private readonly seen = new Set<string>();
  constructor(files: string[]) {
    for (const f of files) for (const d of parentDirs(f)) this.allowed.add(d);
  }
  /** why the folder entry `rel` is refused, or null */
  refusal(rel: string): string | null {
    if (rel === '') return 'it repeats the top folder';
    if (!this.allowed.has(rel)) return 'it is a folder no file of bundle.json lies in';
    if (this.seen.has(rel)) return 'it appears twice in the archive';
    this.seen.add(rel);
    return null;
  }
}

/** checks one entry (and hands it to the sink); returns the file bytes it accounted for */
async function checkEntry(bundle: string, top: string, manifest: Manifest, seen: Set<string>, dirs: Dirs, e: TarEntry, sink?: EntrySink): Promise<number> {
  if (e.type !== '0' && e.type !== '5') {
    const kind = KINDS[e.type] ?? `an entry of type ${JSON.stringify(e.type)}`;
    throw bundleRefusal.unsafePath(bundle, e.path, e.linkpath ? `it is ${kind} to ${e.linkpath}` : `it is ${kind}`);
  }
  const full = e.type === '5' ? e.path.replace(/\/$/, '') : e.path;
  const why = unsafeReason(full);
  if (why) throw bundleRefusal.unsafePath(bundle, e.path, why);
  const [first, ...restSegs] = full.split('/');
  if (first !== top) throw bundleRefusal.unsafePath(bundle, e.path, `it is outside the top folder ${top}/`);
  const rel = restSegs.join('/');
  const listed = Object.hasOwn(manifest.files, rel) ? manifest.files[rel] : undefined;
  if (e.type === '5') {
    if (listed) throw bundleRefusal.extraFile(bundle, e.path, 'it is a folder where bundle.json lists a file');
    const refused = dirs.refusal(rel);
    if (refused) throw bundleRefusal.extraFile(bundle, e.path, refused);
    if ((e.mode & 0o7777) !== 0o755) throw bundleRefusal.ambiguous(bundle, e.path, `it is a folder with mode ${e.mode.toString(8).padStart(4, '0')}, not 0755`);
    await sink?.dir(rel);
    return 0;
  }
  if (!rel) throw bundleRefusal.unsafePath(bundle, e.path, 'it is a file where the top folder should be');
  if (!listed) throw bundleRefusal.extraFile(bundle, e.path);
  if (seen.has(rel)) throw bundleRefusal.extraFile(bundle, e.path, 'it appears twice in the archive');
  seen.add(rel);
  const mode = parseInt(listed.mode, 8);
  if ((e.mode & 0o7777) !== mode) throw bundleRefusal.modified(bundle, e.path, `mode ${(e.mode & 0o7777).toString(8).padStart(4, '0')}, expected ${listed.mode}`);
  if (e.size !== listed.size) throw bundleRefusal.modified(bundle, e.path, `size ${e.size}, expected ${listed.size}`);
  const out = await sink?.file(rel, mode);
  const hash = createHash('sha256');
  try {
    for await (const chunk of e.body()) {
      hash.update(chunk);
      await out?.write(chunk);
    }
  } finally {
    await out?.end();
  }
  if (hash.digest('hex') !== listed.sha256) throw bundleRefusal.modified(bundle, e.path, 'its sha256 differs');
  return e.size;
}
