/**
 * One object to one file, resumable and verified: <dest>.partial is filled by
 * ranged reads (ranged.ts: one stream, more on a slow link), its sidecar records
 * progress, the sha256 is computed as the bytes arrive, and only a file matching
 * the expected sha256 is renamed to <dest>. A mismatch (the object was replaced in the store) deletes the partial
 * data and is refused: a bad file is never left looking like a finished download.
 */
import { open, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { messageOf, refusal } from '../errors.js';
import { silent, type Emit } from '../events.js';
import { hashFile } from '../bundle/hash.js';
import { objectMissing } from './errors.js';
import { PrefixHash } from './prefix-hash.js';
import { dropPartial, loadPartial, partialPaths, sameObject, savePartial, type PartialState } from './partial.js';
import { frontier, partCount } from './ranged.js';
import { fetchRanges } from './schedule.js';
import type { Store } from './types.js';

export interface DownloadOptions {
  store: Store;
  key: string;
  dest: string;
  expected: { sha256: string; size: number };
  /** default 16 MiB */
  partSize?: number;
  /** most ranged requests in flight, default 4; 1 = always a single stream */
  concurrency?: number;
  /** bytes/s of the first stream at or above which no parallel ranges are added, default 100 MiB/s */
  fastLink?: number;
  /** retries of one part after a transient failure, default 3 */
  retries?: number;
  emit?: Emit;
}

export type DownloadStatus = 'downloaded' | 'resumed' | 'present';

export interface DownloadResult {
  dest: string;
  size: number;
  sha256: string;
  status: DownloadStatus;
  /** bytes transferred by this call */
  fetched: number;
}

export const DEFAULT_PART_SIZE = 16 * 1024 * 1024;
/** a single TCP stream this fast is not held back by latency: more streams would only add CPU */
export const DEFAULT_FAST_LINK = 100 * 1024 * 1024;
const SAVE_EVERY_MS = 1000;
const PROGRESS_EVERY_MS = 200;

export async function download(o: DownloadOptions): Promise<DownloadResult> {
  const emit = o.emit ?? silent;
  const task = path.basename(o.dest);
  const { sha256, size } = o.expected;
  if ((await stat(o.dest).catch(() => undefined))?.size === size && (await hashFile(o.dest)).sha256 === sha256) {
    return { dest: o.dest, size, sha256, status: 'present', fetched: 0 };
  }
  const info = await o.store.head(o.key);
  if (!info) throw objectMissing(o.store.url, o.key);
  if (info.size !== size) throw replaced(o, `its size is ${info.size} bytes, the catalog says ${size}`);

  const partSize = o.partSize ?? DEFAULT_PART_SIZE;
  const want = { key: o.key, sha256, etag: info.etag, size, partSize };
  const old = await loadPartial(o.dest);
  const reuse = sameObject(old, want) && (await stat(partialPaths(o.dest).data).catch(() => undefined))?.size === size;
  if (old && !reuse) emit({ type: 'log', level: 'info', message: `${task}: earlier partial download is of another version of the object; starting over` });
  const state: PartialState = reuse ? old! : { ...want, done: new Array(partCount(size, partSize)).fill(0) };
  const already = state.done.reduce((a, b) => a + b, 0);

  const fh = await open(partialPaths(o.dest).data, reuse ? 'r+' : 'w+');
  let fetched = 0;
  let saving = Promise.resolve();
  let lastSave = Date.now();
  let lastProgress = 0;
  // progress notes are best effort: failing to write one costs a re-download of a few MiB, not the download
  const save = () =>
    (saving = saving
      .then(() => savePartial(o.dest, { ...state, done: [...state.done] }))
      .catch((e) => {
        emit({ type: 'log', level: 'warn', message: `${task}: cannot record download progress (${messageOf(e)})` });
      }));
  try {
    await fh.truncate(size);
    await savePartial(o.dest, state); // the object version this partial belongs to, before any byte
    const hasher = new PrefixHash(fh, size, () => frontier(state));
    try {
      await fetchRanges({
        store: o.store,
        key: o.key,
        etag: info.etag,
        fh,
        layout: state,
        concurrency: o.concurrency ?? 4,
        retries: o.retries ?? 3,
        fastLink: o.fastLink ?? DEFAULT_FAST_LINK,
        onData: (pos, chunk) => hasher.received(pos, chunk),
        onWrite: (n) => {
          fetched += n;
          hasher.written();
          const now = Date.now();
          if (now - lastSave >= SAVE_EVERY_MS) {
            lastSave = now;
            void save();
          }
          if (now - lastProgress >= PROGRESS_EVERY_MS) {
            lastProgress = now;
            emit({ type: 'progress', task, done: already + fetched, total: size, unit: 'bytes' });
          }
        },
      });
    } catch (e) {
      await save(); // keep what arrived: the next run resumes from here
      throw e;
    }
    const digest = await hasher.digest();
    emit({ type: 'progress', task, done: size, total: size, unit: 'bytes' });
    if (digest !== sha256) {
      await fh.close().catch(() => {});
      await saving.catch(() => {});
      await dropPartial(o.dest);
      throw replaced(o, `its sha256 is ${digest}, the catalog says ${sha256}`);
    }
  } finally {
    await fh.close().catch(() => {});
    await saving.catch(() => {});
  }
  await rename(partialPaths(o.dest).data, o.dest);
  // no fsync: a file lost or torn by a crash fails its sha256 check on the next fetch or install
  await dropPartial(o.dest);
  return { dest: o.dest, size, sha256, status: already > 0 ? 'resumed' : 'downloaded', fetched };
}

const replaced = (o: DownloadOptions, why: string) =>
  refusal(
    'STORE_OBJECT_REPLACED',
    `${o.key} in ${o.store.url} is not the file its catalog lists: ${why}.`,
    'The object was replaced after the catalog was signed; ask the publisher to republish (uphop publish --replace), and do not install this file.',
  );
