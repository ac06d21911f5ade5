/**
 * sha256 of a file being filled by ranged writes, computed as the bytes arrive:
 * a running hash over a prefix of the object. A network chunk that starts right
 * where the hashed prefix ends is hashed on arrival, while it is still in the CPU
 * cache (with one stream that is every byte: no second pass over the file); bytes
 * that arrived out of order (parallel ranges, or a resumed partial) are read back
 * from the file once the prefix reaches them, only those bytes.
 *
 * Hashing a chunk before it is written is safe: a chunk whose write fails is
 * fetched again from the same object version (ranged reads are pinned to its
 * ETag), so the file ends up holding exactly the bytes that were hashed.
 */
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';

const CHUNK = 1024 * 1024;

export class PrefixHash {
  private readonly hash = createHash('sha256');
  private cursor = 0;
  private reading?: Promise<void>;
  private failed?: unknown;

  /** frontier(): end of the complete (written) prefix of the file */
  constructor(
    private readonly fh: FileHandle,
    private readonly size: number,
    private readonly frontier: () => number,
  ) {}

  /** bytes of the object at `pos`, as they arrive */
  received(pos: number, chunk: Buffer): void {
    if (this.reading || pos !== this.cursor) return;
    this.hash.update(chunk);
    this.cursor += chunk.length;
  }

  /** call after a write was counted in the frontier: reads back what the prefix now reaches */
  written(): void {
    this.catchUp();
  }

  /** hex digest once every byte was hashed */
  async digest(): Promise<string> {
    this.catchUp();
    while (this.reading) await this.reading;
    if (this.failed !== undefined) throw this.failed;
    if (this.cursor !== this.size) throw new Error(`only ${this.cursor} of ${this.size} bytes were hashed`);
    return this.hash.digest('hex');
  }

  private catchUp(): void {
    if (this.reading || this.failed !== undefined || this.frontier() <= this.cursor) return;
    this.reading = this.readBack();
  }

  private async readBack(): Promise<void> {
    const buf = Buffer.allocUnsafe(CHUNK);
    try {
      // loop until the prefix is caught up; the flag is cleared in the same tick as the last check,
      // so a chunk arriving right after is hashed on arrival
      while (this.frontier() > this.cursor) {
        const { bytesRead } = await this.fh.read(buf, 0, Math.min(CHUNK, this.frontier() - this.cursor), this.cursor);
        if (bytesRead === 0) throw new Error(`short read at ${this.cursor}`);
        this.hash.update(buf.subarray(0, bytesRead));
        this.cursor += bytesRead;
      }
    } catch (e) {
      this.failed = e;
    } finally {
      this.reading = undefined;
    }
  }
}
