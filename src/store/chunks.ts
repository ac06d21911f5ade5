/**
 * The disk side of one ranged request: a Writable that puts the body's chunks at
 * their place in the partial file. Whatever arrived while a write ran goes out
 * in the next single writev, so there is one syscall per batch, not per network
 * chunk, and the body is paused only when `ahead` bytes wait (stream
 * backpressure), not after every batch. Each completed write is reported with
 * its position, so progress only ever counts bytes that reached the file.
 */
import { writev } from 'node:fs';
import { Writable } from 'node:stream';

export class RangeWriter extends Writable {
  private writing?: Promise<void>;

  /** writes start at `pos`; bytes at or past `limit` are refused (a server must not write into another run's parts) */
  constructor(private readonly fd: number, private pos: number, private readonly limit: number, ahead: number,
    private readonly written: (pos: number, len: number) => void) {
    super({ highWaterMark: ahead });
  }

  /** resolves once no write is in flight: after a failure, what is counted is what is on disk */
  async idle(): Promise<void> {
    await this.writing?.catch(() => {});
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.put([chunk], cb);
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (e?: Error | null) => void): void {
    this.put(chunks.map((c) => c.chunk), cb);
  }

  private put(bufs: Buffer[], cb: (e?: Error | null) => void): void {
    let len = 0;
    for (const b of bufs) len += b.length;
    const pos = this.pos;
    if (pos + len > this.limit) return cb(new Error('the server sent more bytes than the range asked for'));
    this.writing = new Promise<void>((resolve) => {
      writev(this.fd, bufs, pos, (e, n) => {
        if (!e && n !== len) e = new Error(`short write at ${pos} (disk full?)`);
        if (!e) {
          this.pos += len;
          this.written(pos, len);
        }
        resolve();
        cb(e);
      });
    });
  }
}
