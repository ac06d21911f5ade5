/**
 * sha256 of a file being filled by parallel ranged writes, computed while the
 * download runs: it reads back (from the page cache) the prefix that is already
 * complete, so hashing overlaps the network instead of adding a pass at the end.
 * (A worker thread was tried: on a CPU-bound loopback link it gained nothing and
 * cost RSS; on a real link hashing at >1 GB/s keeps up with the network anyway.)
 */
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';

const CHUNK = 1024 * 1024;

export class FollowHash {
  private readonly hash = createHash('sha256');
  private cursor = 0;
  private wake?: () => void;
  private stopped = false;

  constructor(private readonly fh: FileHandle, private readonly size: number, private readonly frontier: () => number) {}

  /** call after bytes were written */
  notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  stop(): void {
    this.stopped = true;
    this.notify();
  }

  /** resolves with the hex digest once every byte was hashed; undefined if stopped first */
  async run(): Promise<string | undefined> {
    const buf = Buffer.allocUnsafe(CHUNK);
    while (this.cursor < this.size) {
      if (this.stopped) return undefined;
      const ready = this.frontier() - this.cursor;
      // wait for a full chunk (or the tail) so small network writes don't cause small reads
      if (ready < Math.min(CHUNK, this.size - this.cursor)) {
        await new Promise<void>((r) => (this.wake = r));
        continue;
      }
      const { bytesRead } = await this.fh.read(buf, 0, Math.min(CHUNK, ready), this.cursor);
      if (bytesRead === 0) throw new Error(`short read at ${this.cursor}`);
      this.hash.update(buf.subarray(0, bytesRead));
      this.cursor += bytesRead;
    }
    return this.hash.digest('hex');
  }
}
