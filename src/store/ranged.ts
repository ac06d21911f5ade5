/**
 * Parallel ranged GETs into one file with positioned writes. Parts are handed
 * out in order to a bounded number of workers; each part resumes at its own
 * saved offset and is retried from there on transient failures.
 */
import type { FileHandle } from 'node:fs/promises';
import { UphopError, failure, messageOf } from '../errors.js';
import type { Store } from './types.js';

export interface PartLayout {
  size: number;
  partSize: number;
  /** bytes already written per part, updated in place */
  done: number[];
}

export interface RangedOptions {
  store: Store;
  key: string;
  etag: string;
  fh: FileHandle;
  layout: PartLayout;
  concurrency: number;
  retries: number;
  /** after each write: progress, hasher, sidecar */
  onWrite: (bytes: number) => void;
}

export const partCount = (size: number, partSize: number) => Math.ceil(size / partSize);
export const partLength = (l: Omit<PartLayout, 'done'>, i: number) => Math.min(l.partSize, l.size - i * l.partSize);

/** end of the complete prefix of the file */
export function frontier(l: PartLayout): number {
  let pos = 0;
  for (let i = 0; i < l.done.length; i++) {
    pos = i * l.partSize + l.done[i];
    if (l.done[i] < partLength(l, i)) return pos;
  }
  return pos;
}

export async function fetchRanges(o: RangedOptions): Promise<void> {
  const { layout } = o;
  const todo = layout.done.map((_, i) => i).filter((i) => layout.done[i] < partLength(layout, i));
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (next < todo.length && failed === undefined) {
      const i = todo[next++];
      try {
        await fetchPart(o, i, () => failed !== undefined);
      } catch (e) {
        failed ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency, todo.length) }, worker));
  if (failed !== undefined) throw failed;
}

/** network chunks are small (16-64 KiB): gather them so each positioned write moves about 1 MiB */
const BATCH = 1024 * 1024;

async function fetchPart(o: RangedOptions, i: number, cancelled: () => boolean): Promise<void> {
  const { layout } = o;
  const start = i * layout.partSize;
  const length = partLength(layout, i);
  for (let attempt = 0; ; attempt++) {
    // one write in flight while the next batch arrives: network and disk overlap
    let inflight: Promise<void> = Promise.resolve();
    try {
      let queued = layout.done[i];
      let batch: Buffer[] = [];
      let batchLen = 0;
      const flush = async () => {
        if (!batchLen) return;
        const bufs = batch;
        const len = batchLen;
        const pos = start + queued;
        queued += len;
        batch = [];
        batchLen = 0;
        await inflight;
        inflight = o.fh.writev(bufs, pos).then(({ bytesWritten }) => {
          if (bytesWritten !== len) throw new Error(`short write at ${pos} (disk full?)`);
          layout.done[i] += len;
          o.onWrite(len);
        });
        inflight.catch(() => {}); // observed: awaited (and rethrown) by the next flush or the catch below
      };
      const body = await o.store.get(o.key, { range: { start: start + queued, end: start + length - 1 }, ifMatch: o.etag });
      for await (const chunk of body as AsyncIterable<Buffer>) {
        if (cancelled()) {
          (body as { destroy?: () => void }).destroy?.();
          break;
        }
        const room = length - queued - batchLen;
        if (room <= 0) break; // a server sending more than the range asked for
        batch.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
        batchLen += Math.min(chunk.length, room);
        if (batchLen >= BATCH) await flush();
      }
      await flush();
      await inflight;
      if (cancelled()) return;
      if (layout.done[i] < length) throw new Error(`the server ended part ${i} early`);
      return;
    } catch (e) {
      await inflight.catch(() => {}); // what reached the disk counts for the next attempt
      // refusals (object changed) and usage errors (credentials) will not get better by retrying
      if (e instanceof UphopError && e.exitCode !== 1) throw e;
      if (cancelled()) return;
      if (attempt >= o.retries) {
        const why = e instanceof UphopError ? e.message : `${messageOf(e)}.`;
        throw failure('DOWNLOAD_INTERRUPTED', `The download of ${o.key} was interrupted: ${why}`, 'Run the same command again: it resumes where it stopped.', e);
      }
      await new Promise((r) => setTimeout(r, 300 * 2 ** attempt));
    }
  }
}
