/**
 * Ranged GETs into one file with positioned writes, laid out in parts whose
 * progress is recorded (the resumable sidecar). A run is one worker's request:
 * one part with a bounded range, or, as a stream, from the first missing byte of
 * a part on through the parts after it that nobody else has (schedule.ts decides).
 * Each piece is handed to onData as it arrives and counted (onWrite) once on disk.
 */
import type { FileHandle } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { UphopError, failure, messageOf } from '../errors.js';
import { RangeWriter } from './chunks.js';
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

/**
 * what the body may run ahead of the disk: writes gather whatever arrived while the previous one ran into one
 * writev, and the body pauses only when this much waits (pausing the socket after every small batch, as an
 * earlier version did, cost more CPU than the sha256)
 */
const AHEAD = 1024 * 1024;

/** fetch parts i..run.last with one ranged request, retrying from what reached the disk */
export async function fetchRun(o: RangedOptions, i: number, run: Run): Promise<void> {
  const { layout } = o;
  const end = run.last * layout.partSize + partLength(layout, run.last);
  let received = 0;
  let t0 = 0;
  for (let attempt = 0; ; attempt++) {
    while (i < run.last && complete(layout, i)) i++;
    if (complete(layout, i)) return;
    const startPart = i;
    let writer: RangeWriter | undefined;
    try {
      const start = i * layout.partSize + layout.done[i];
      const body = await o.store.get(o.key, { range: { start, end: end - 1 }, ifMatch: o.etag });
      writer = new RangeWriter(o.fh.fd, start, end, AHEAD, (at, len) => {
        credit(layout, at, len);
        o.onWrite(len);
        if (run.measured && received >= layout.partSize) {
          run.measured((received * 1000) / Math.max(1, Date.now() - t0));
          run.measured = undefined;
        }
      });
      let pos = start;
      body.on('data', (chunk: Buffer) => {
        if (run.cancelled()) return body.destroy();
        if (!t0) t0 = Date.now();
        received += chunk.length;
        // bytes past the range are refused by the writer; they are not hashed either
        if (pos + chunk.length <= end) o.onData(pos, chunk);
        pos += chunk.length;
      });
      await pipeline(body, writer);
      if (!complete(layout, run.last)) throw new Error(`the server ended the range at ${pos} early`);
      return;
    } catch (e) {
      await writer?.idle(); // what reached the disk counts for the next attempt
      // refusals (object changed) and usage errors (credentials) will not get better by retrying
      if (e instanceof UphopError && e.exitCode !== 1) throw e;
      if (run.cancelled()) return;
      while (i < run.last && complete(layout, i)) i++;
      if (i !== startPart) attempt = 0; // a stream that moved on is retried afresh from where it stands
      if (attempt >= o.retries) {
        const why = e instanceof UphopError ? e.message : `${messageOf(e)}.`;
        throw failure('DOWNLOAD_INTERRUPTED', `The download of ${o.key} was interrupted: ${why}`, 'Run the same command again: it resumes where it stopped.', e);
      }
      await new Promise((r) => setTimeout(r, 300 * 2 ** attempt));
    }
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
