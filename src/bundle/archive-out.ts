/**
 * Batches the many small pieces of a tar stream (headers, padding, small files)
 * into large writes to the compressor, and reports progress at a modest rate.
 */
import type { Emit } from '../events.js';
import type { GzipSink, WrittenFile } from './gzip-sink.js';
import { BLOCK } from './tar-header.js';

const BATCH = 1024 * 1024;
const MIN_STEP = 8 * 1024 * 1024;

export class ArchiveOut {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private done = 0;
  private lastEmitted = 0;
  private readonly step: number;

  constructor(
    private readonly sink: GzipSink,
    private readonly emit: Emit,
    private readonly total: number,
  ) {
    this.step = Math.max(MIN_STEP, Math.ceil(total / 100));
  }

  /** queues bytes; writes the batch once it is large */
  add(...bufs: Buffer[]): Promise<void> {
    for (const b of bufs) {
      if (b.length === 0) continue;
      this.pending.push(b);
      this.pendingBytes += b.length;
    }
    return this.pendingBytes >= BATCH ? this.flush() : Promise.resolve();
  }

  /** writes a large chunk right away (after what is queued) */
  write(chunk: Buffer): Promise<void> {
    const queued = this.flush();
    const written = this.sink.write(chunk);
    return Promise.all([queued, written]).then(() => {});
  }

  /** store (already-compressed data) or deflate what comes next */
  async setStored(stored: boolean): Promise<void> {
    await this.flush();
    await this.sink.setStored(stored);
  }

  progress(bytes: number): void {
    this.done += bytes;
    if (this.done - this.lastEmitted >= this.step) this.report();
  }

  async finish(): Promise<WrittenFile> {
    await this.add(Buffer.alloc(2 * BLOCK)); // end-of-archive marker
    await this.flush();
    const written = await this.sink.finish();
    this.report();
    return written;
  }

  abort(): Promise<void> {
    this.pending = [];
    return this.sink.abort();
  }

  private flush(): Promise<void> {
    if (this.pendingBytes === 0) return Promise.resolve();
    const batch = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    return this.sink.write(batch);
  }

  private report(): void {
    this.lastEmitted = this.done;
    this.emit({ type: 'progress', task: 'archive', done: this.done, total: this.total, unit: 'bytes' });
  }
}
