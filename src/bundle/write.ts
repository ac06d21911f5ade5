/**
 * The reproducible, streaming bundle writer. Archive order: `<top>/`,
 * `<top>/bundle.json`, `<top>/bundle.json.sig` (when signed), then folders and
 * files sorted by path in byte order; fixed mtime, uid/gid 0, no owner names.
 * Each file is re-hashed while it is copied: a file that changed since the
 * manifest was made fails the build instead of shipping a bundle that lies.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { failure, usageError } from '../errors.js';
import { silent, type Emit } from '../events.js';
import { looksCompressed } from './compressed.js';
import { GzipSink, type WrittenFile } from './gzip-sink.js';
import { READ_CHUNK } from './hash.js';
import { MANIFEST_NAME, SIGNATURE_NAME } from './manifest.js';
import { byteOrder, isSafeTopDir, parentDirs, unsafeReason } from './paths.js';
import { encodeHeader, padding } from './tar-header.js';
import { ArchiveOut } from './archive-out.js';

export { hashFile, type FileDigest } from './hash.js';
export type { WrittenFile } from './gzip-sink.js';

export type EntrySource = { file: string } | { data: Buffer };

export interface BundleEntry {
  /** posix, relative to topDir */
  path: string;
  source: EntrySource;
  mode: number;
  sha256: string;
  size: number;
}

export interface WriteBundleOptions {
  out: string;
  topDir: string;
  manifestBytes: Buffer;
  signature?: Buffer;
  entries: BundleEntry[];
  /** seconds since the epoch (SOURCE_DATE_EPOCH) or a Date */
  mtime: number | Date;
  /** deflate level for compressible content, 0-9 (default 6) */
  level?: number;
  emit?: Emit;
}

/** already-compressed entries smaller than this are deflated anyway: each switch restarts the deflater */
const STORE_MIN = 64 * 1024;
/** chunks at least this large go to the compressor directly instead of being batched */
const BIG = 256 * 1024;

type Item = { kind: 'dir'; path: string } | { kind: 'file'; path: string; entry: BundleEntry };

export async function writeBundle(opts: WriteBundleOptions): Promise<WrittenFile> {
  const level = opts.level ?? 6;
  if (!Number.isInteger(level) || level < 0 || level > 9)
    throw usageError('BUNDLE_BAD_LEVEL', `Compression level ${level} is not between 0 and 9.`, 'Pass a level from 0 (store) to 9 (smallest); 6 is the default.');
  const mtime = typeof opts.mtime === 'number' ? Math.floor(opts.mtime) : Math.floor(opts.mtime.getTime() / 1000);
  if (!Number.isSafeInteger(mtime) || mtime < 0 || mtime > 0o77777777777)
    throw usageError('BUNDLE_BAD_MTIME', `The bundle's file time ${String(opts.mtime)} is not a valid date.`, 'Set SOURCE_DATE_EPOCH to seconds since 1970, or leave it unset.');
  const items = layout(opts.topDir, opts.entries);
  const top = opts.topDir;
  const total = opts.entries.reduce((n, e) => n + e.size, opts.manifestBytes.length);
  const out = new ArchiveOut(await GzipSink.open(opts.out, level), opts.emit ?? silent, total);
  try {
    const small = async (path: string, data: Buffer) => {
      await out.add(encodeHeader({ path: `${top}/${path}`, kind: 'file', mode: 0o644, size: data.length, mtime }), data, Buffer.alloc(padding(data.length)));
    };
    await out.add(encodeHeader({ path: `${top}/`, kind: 'dir', mode: 0o755, size: 0, mtime }));
    await small(MANIFEST_NAME, opts.manifestBytes);
    out.progress(opts.manifestBytes.length);
    if (opts.signature) await small(SIGNATURE_NAME, opts.signature);
    for (const item of items) {
      if (item.kind === 'dir') {
        await out.add(encodeHeader({ path: `${top}/${item.path}/`, kind: 'dir', mode: 0o755, size: 0, mtime }));
        continue;
      }
      const e = item.entry;
      const header = encodeHeader({ path: `${top}/${e.path}`, kind: 'file', mode: e.mode, size: e.size, mtime });
      if ('data' in e.source) {
        checkDigest(e, e.source.data.length, createHash('sha256').update(e.source.data).digest('hex'));
        await out.add(header, e.source.data, Buffer.alloc(padding(e.size)));
        out.progress(e.size);
      } else {
        await copyFile(e, e.source.file, header, out);
      }
    }
    return await out.finish();
  } catch (err) {
    await out.abort();
    throw err;
  }
}

function layout(topDir: string, entries: BundleEntry[]): Item[] {
  if (!isSafeTopDir(topDir)) throw usageError('BUNDLE_BAD_ENTRY', `The bundle's top folder ${JSON.stringify(topDir)} is not a plain folder name.`);
  const files = new Set<string>();
  for (const e of entries) {
    const why = unsafeReason(e.path);
    if (why) throw usageError('BUNDLE_BAD_ENTRY', `Bundle entry ${JSON.stringify(e.path)} is unsafe: ${why}.`, 'Use relative paths inside the bundle.');
    if (e.path === MANIFEST_NAME || e.path === SIGNATURE_NAME || files.has(e.path)) throw usageError('BUNDLE_BAD_ENTRY', `Bundle entry ${e.path} is given twice or clashes with ${MANIFEST_NAME}.`);
    if (!Number.isInteger(e.mode) || e.mode < 0 || e.mode > 0o7777 || !Number.isSafeInteger(e.size) || e.size < 0)
      throw usageError('BUNDLE_BAD_ENTRY', `Bundle entry ${e.path} has a bad mode or size.`);
    files.add(e.path);
  }
  const dirs = new Set(entries.flatMap((e) => parentDirs(e.path)));
  for (const d of dirs) if (files.has(d)) throw usageError('BUNDLE_BAD_ENTRY', `Bundle entry ${d} is both a file and a folder.`);
  const items: Item[] = [...[...dirs].map((path): Item => ({ kind: 'dir', path })), ...entries.map((entry): Item => ({ kind: 'file', path: entry.path, entry }))];
  const key = (i: Item) => (i.kind === 'dir' ? `${i.path}/` : i.path);
  return items.sort((a, b) => byteOrder(key(a), key(b)));
}

function checkDigest(e: BundleEntry, size: number, sha256: string): void {
  if (size !== e.size || sha256 !== e.sha256)
    throw failure(
      'BUNDLE_INPUT_CHANGED',
      `${e.path} changed while the bundle was built (${size !== e.size ? `size ${size}, expected ${e.size}` : 'sha256 differs'}).`,
      'Make sure nothing writes to the build inputs during `uphop build`, then build again.',
    );
}

async function copyFile(e: BundleEntry, file: string, header: Buffer, out: ArchiveOut): Promise<void> {
  const fh = await open(file, 'r');
  try {
    let left = e.size;
    let seen = 0;
    const readNext = async (): Promise<Buffer | null> => {
      if (left === 0) return null;
      const want = Math.min(READ_CHUNK, left);
      const buf = Buffer.allocUnsafe(want);
      // fill the whole chunk even after a short read: chunk boundaries shape the output bytes
      for (let got = 0; got < want; ) {
        const { bytesRead } = await fh.read(buf, got, want - got, null);
        if (bytesRead === 0) checkDigest(e, seen, ''); // shorter than declared: throws
        got += bytesRead;
        seen += bytesRead;
      }
      left -= want;
      return buf;
    };
    const hash = createHash('sha256');
    let chunk = await readNext();
    await out.setStored(e.size >= STORE_MIN && !!chunk && looksCompressed(chunk));
    await out.add(header);
    let drained: Promise<void> = Promise.resolve();
    while (chunk) {
      const next = readNext();
      next.catch(() => {}); // awaited below; must not count as unhandled meanwhile
      hash.update(chunk); // runs while the previous chunk is being deflated
      await drained;
      drained = chunk.length >= BIG ? out.write(chunk) : out.add(chunk);
      out.progress(chunk.length);
      drained.catch(() => {});
      chunk = await next;
    }
    await drained;
    const { bytesRead } = await fh.read(Buffer.alloc(1), 0, 1, null);
    checkDigest(e, seen + bytesRead, hash.digest('hex'));
    await out.add(Buffer.alloc(padding(e.size)));
  } finally {
    await fh.close();
  }
}
