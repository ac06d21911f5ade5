/** Pull exact byte counts out of a stream, for archive formats read header by header. */
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';

export class ByteReader {
  private buf: Buffer = Buffer.alloc(0);
  private readonly it: AsyncIterator<Buffer>;
  private ended = false;

  constructor(source: Readable) {
    this.it = source[Symbol.asyncIterator]();
  }

  private async fill(): Promise<boolean> {
    if (this.ended) return false;
    const next = await this.it.next();
    if (next.done) {
      this.ended = true;
      return false;
    }
    this.buf = this.buf.length ? Buffer.concat([this.buf, next.value]) : next.value;
    return true;
  }

  /** exactly n bytes (small: headers, names, link targets); throws on a truncated stream */
  async read(n: number): Promise<Buffer> {
    while (this.buf.length < n) if (!(await this.fill())) throw new Error('the archive ends in the middle of an entry');
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** copy n bytes to `out` (or drop them when out is null) without holding them all */
  async copy(n: number, out: Writable | null): Promise<void> {
    let left = n;
    while (left > 0) {
      if (this.buf.length === 0 && !(await this.fill())) throw new Error('the archive ends in the middle of a file');
      const part = this.buf.subarray(0, Math.min(left, this.buf.length));
      this.buf = this.buf.subarray(part.length);
      left -= part.length;
      if (out && !out.write(part)) await once(out, 'drain');
    }
  }
}
