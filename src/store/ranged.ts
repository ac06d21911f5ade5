/**
 * Ranged GETs into one file with positioned writes, laid out in parts whose
 * progress is recorded (the resumable sidecar). A run is one worker's request:
 * one part with a bounded range, or, as a stream, from the first missing byte of
 * a part on through the parts after it that nobody else has (schedule.ts decides).
 * Each piece is handed to onData as it arrives and counted (onWrite) once on disk.
 */
import type { FileHandle } from 'node:fs/promises';
import { UphopError, failure, messageOf } from '../errors.js';
import type { Store } from './types.js';
import { type AttemptContext, retry } from '../util/retry.js';

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
  /** most ranged requests in flight; 1 = a single stream */
  concurrency: number;
  retries: number;
  /** bytes/s of the first stream at or above which it stays alone */
  fastLink: number;
  /** each piece of the object as it arrives, before it is written */
  onData: (pos: number, chunk: Buffer) => void;
  /** after each write reached the file and was counted in layout.done: progress, hasher, sidecar */
  onWrite: (len: number) => void;
}

export const partCount = (size: number, partSize: number) => Math.ceil(size / partSize);
export const partLength = (l: Omit<PartLayout, 'done'>, i: number) => Math.min(l.partSize, l.size - i * l.partSize);
export const complete = (l: PartLayout, i: number) => l.done[i] >= partLength(l, i);

/** end of the complete prefix of the file */
export function frontier(l: PartLayout): number {
  let pos = 0;
  for (let i = 0; i < l.done.length; i++) {
    pos = i * l.partSize + l.done[i];
    if (!complete(l, i)) return pos;
  }
  return pos;
}

export interface Run {
  /** the last part of this request: parts after the first are ones nobody wrote to, so the bytes run on without a gap */
  last: number;
  /** bytes/s once the request received a part's worth */
  measured?: (rate: number) => void;
  cancelled: () => boolean;
}

/** fetch parts i..run.last with one ranged request, retrying from what reached the disk */
export async function fetchRun(o: RangedOptions, i: number, run: Run): Promise<void> {
  const { layout } = o;
  const end = run.last * layout.partSize + partLength(layout, run.last);
  let received = 0;
  let t0 = 0;
  const once = async (ctx: AttemptContext) => {
    while (i < run.last && complete(layout, i)) i++;
    if (complete(layout, i)) return;
    const startPart = i;
    const start = i * layout.partSize + layout.done[i];
    let pos = start;
    try {
      // the chunk lives in the store's reused buffer: hashed, then written, before the next read
      await o.store.read(o.key, { range: { start, end: end - 1 }, ifMatch: o.etag }, async (chunk) => {
        if (run.cancelled()) throw new Error('cancelled');
        if (!t0) t0 = Date.now();
        // a server must not write into another run's parts; such bytes are neither hashed nor written
        if (pos + chunk.length > end) throw new Error('the server sent more bytes than the range asked for');
        o.onData(pos, chunk);
        const { bytesWritten } = await o.fh.write(chunk, 0, chunk.length, pos);
        if (bytesWritten !== chunk.length) throw new Error(`short write at ${pos} (disk full?)`);
        credit(layout, pos, chunk.length);
        pos += chunk.length;
        received += chunk.length;
        o.onWrite(chunk.length);
        if (run.measured && received >= layout.partSize) {
          run.measured((received * 1000) / Math.max(1, Date.now() - t0));
          run.measured = undefined;
        }
      });
      if (!complete(layout, run.last)) throw new Error(`the server ended the range at ${pos} early`);
    } catch (e) {
      if (run.cancelled()) return;
      while (i < run.last && complete(layout, i)) i++;
      if (i !== startPart) ctx.progressed(); // a stream that moved on is retried afresh from where it stands
      throw e;
    }
  };
  try {
    await retry(once, {
      attempts: o.retries + 1,
      baseMs: 300,
      // refusals (object changed) and usage errors (credentials) will not get better by retrying
      retryable: (e) => !(e instanceof UphopError && e.exitCode !== 1),
    });
  } catch (e) {
    if (e instanceof UphopError && e.exitCode !== 1) throw e;
    const why = e instanceof UphopError ? e.message : `${messageOf(e)}.`;
    throw failure('DOWNLOAD_INTERRUPTED', `The download of ${o.key} was interrupted: ${why}`, 'Run the same command again: it resumes where it stopped.', e);
  }
}

/** count bytes [pos, pos+len) as written in the parts they fall in (a run writes each part from its done mark on) */
function credit(layout: PartLayout, pos: number, len: number): void {
  for (let j = Math.floor(pos / layout.partSize); len > 0; j++) {
    const take = Math.min(len, (j + 1) * layout.partSize - pos);
    layout.done[j] += take;
    pos += take;
    len -= take;
  }
}
