/** Decompressed bytes pulled in exact amounts (headers) or in pieces without copying (entry bodies). */
export class Input {
  private buf: Buffer = Buffer.alloc(0);
  private readonly it: AsyncIterator<Buffer>;
  constructor(src: AsyncIterable<Buffer>) {
    this.it = src[Symbol.asyncIterator]();
  }

  /** exactly n bytes, or null when the input ends first */
  async take(n: number): Promise<Buffer | null> {
    while (this.buf.length < n) {
      const r = await this.it.next();
      if (r.done) return null;
      this.buf = this.buf.length ? Buffer.concat([this.buf, r.value]) : r.value;
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** up to max bytes without copying, or null at the end of the input */
  async piece(max: number): Promise<Buffer | null> {
    if (this.buf.length === 0) {
      const r = await this.it.next();
      if (r.done) return null;
      this.buf = r.value;
    }
    const out = this.buf.subarray(0, max);
    this.buf = this.buf.subarray(out.length);
    return out;
  }

  async skip(n: number): Promise<boolean> {
    for (let left = n; left > 0; ) {
      const p = await this.piece(left);
      if (!p) return false;
      left -= p.length;
    }
    return true;
  }

  async close(): Promise<void> {
    await this.it.return?.();
  }
}
