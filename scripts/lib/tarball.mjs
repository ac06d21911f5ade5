/**
 * Reproducible .tgz of a flat set of files: sorted entries, one fixed mtime,
 * uid/gid 0 with empty owner names, modes 0755 for native/executable files and 0644
 * for the rest, no gzip timestamp. Same input files + same mtime => same bytes.
 * Headers are written here (node-tar's Header encoder) because node-tar's `portable`
 * leaves uid/gid empty rather than 0. Streams: no file is held in memory.
 */
import { rename, rm, stat } from 'node:fs/promises';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import path from 'node:path';
import * as tar from 'tar';

const BLOCK = 512;

/** 1980-01-01: the default when SOURCE_DATE_EPOCH is unset (0 upsets some tar/zip tools) */
export const DEFAULT_EPOCH = 315532800;

export function sourceDate(env = process.env) {
  const s = env.SOURCE_DATE_EPOCH;
  if (s === undefined || s === '') return new Date(DEFAULT_EPOCH * 1000);
  if (!/^\d+$/.test(s)) throw new Error(`SOURCE_DATE_EPOCH must be whole seconds since 1970, got ${JSON.stringify(s)}`);
  return new Date(Number(s) * 1000);
}

const modeFor = (name) => (/\.(node|sh)$/.test(name) ? 0o755 : 0o644);

/**
 * Writes `outFile` atomically (temp name + rename) from `files` (names relative to cwd,
 * top level of the archive) and resolves with its sha256.
 */
export async function writeReproducibleTgz({ cwd, files, outFile, mtime = sourceDate() }) {
  const sorted = [...files].sort();
  const tmp = `${outFile}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await pipeline(Readable.from(tarBlocks(cwd, sorted, mtime)), createGzip({ level: 9 }), createWriteStream(tmp));
    await rename(tmp, outFile);
  } finally {
    await rm(tmp, { force: true });
  }
  return sha256File(outFile);
}

async function* tarBlocks(cwd, names, mtime) {
  for (const name of names) {
    if (name.includes('/') || Buffer.byteLength(name) > 100) throw new Error(`only short top-level names can be packed, got ${name}`);
    const { size } = await stat(path.join(cwd, name));
    const header = Buffer.alloc(BLOCK);
    new tar.Header({ path: name, type: 'File', mode: modeFor(name), uid: 0, gid: 0, uname: '', gname: '', size, mtime }).encode(header, 0);
    yield header;
    yield* createReadStream(path.join(cwd, name));
    if (size % BLOCK) yield Buffer.alloc(BLOCK - (size % BLOCK));
  }
  yield Buffer.alloc(BLOCK * 2); // end of archive
}

export async function sha256File(file) {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk);
  return hash.digest('hex');
}
