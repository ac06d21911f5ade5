/**
 * One gzip stream into `<out>.partial`, hashed as it is written, renamed to
 * `<out>` only once complete and fsync'd.
 *
 * Why not one zlib Gzip stream with params(0) for already-compressed data:
 * after a switch from level 6 to 0, zlib stores data ~20x slower than a stream
 * that started at level 0. So we frame gzip ourselves (RFC 1952): a fixed
 * header (no name, zero mtime), then deflate runs (a fresh raw deflater per
 * run, ended with a sync flush so no final block) and stored blocks we write
 * directly, then an empty final block and the CRC32/size trailer. A fresh
 * deflater never refers back past its own start, so the runs concatenate into
 * one valid deflate stream, byte-identical for equal input.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { finished } from 'node:stream/promises';
import { constants, createDeflateRaw, type DeflateRaw } from 'node:zlib';
import { crc32 } from './crc32.js';
import { FINAL_EMPTY_BLOCK, storedBlocks } from './deflate-stored.js';
import { syncDir, untilDrain } from './io.js';

export interface WrittenFile {
  path: string;
  sha256: string;
  size: number;
}

const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03]); // deflate, no flags, mtime 0, unix
const OUT_CHUNK = 256 * 1024;

export class GzipSink {
  private readonly file: WriteStream;
  private readonly hash = createHash('sha256');
  private bytes = 0;
  private crc = 0;
  private isize = 0;
  private failed: Error | undefined;
  private deflater: DeflateRaw | undefined;
  private pumping: Promise<void> = Promise.resolve();
  private stored = false;

  private constructor(
    readonly out: string,
    readonly partial: string,
    private readonly level: number,
  ) {
    this.file = createWriteStream(partial, { highWaterMark: 1024 * 1024 });
    this.file.on('error', (e) => {
      this.failed ??= e;
    });
    this.emit(GZIP_HEADER).catch(() => {}); // a failure resurfaces on the next write
  }

  static async open(out: string, level: number): Promise<GzipSink> {
    await mkdir(dirname(out), { recursive: true });
    return new GzipSink(out, `${out}.partial`, level);
  }

  /** store (true) or deflate (false) what is written next */
  async setStored(stored: boolean): Promise<void> {
    if (stored === this.stored) return;
    if (stored) await this.endRun();
    this.stored = stored;
  }

  /** resolves once more may be written (backpressure) */
  async write(chunk: Buffer): Promise<void> {
    if (this.failed) throw this.failed;
    this.crc = crc32(chunk, this.crc);
    this.isize = (this.isize + chunk.length) % 2 ** 32;
    if (this.stored) return this.emit(storedBlocks(chunk));
    const d = this.deflater ?? this.startRun();
    if (!d.write(chunk)) await untilDrain(d);
  }

  async finish(): Promise<WrittenFile> {
    await this.endRun();
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(this.crc >>> 0, 0);
    trailer.writeUInt32LE(this.isize, 4);
    await this.emit(Buffer.concat([FINAL_EMPTY_BLOCK, trailer]));
    this.file.end();
    await finished(this.file);
    const fh = await open(this.partial, 'r+');
    try {
      await fh.sync(); // fsync is per inode: this flushes what the write stream wrote
    } finally {
      await fh.close();
    }
    await rename(this.partial, this.out);
    await syncDir(dirname(this.out));
    return { path: this.out, sha256: this.hash.digest('hex'), size: this.bytes };
  }

  async abort(): Promise<void> {
    this.deflater?.destroy();
    await this.pumping.catch(() => {});
    this.file.destroy();
    await finished(this.file).catch(() => {});
    await rm(this.partial, { force: true });
  }

  private startRun(): DeflateRaw {
    const d = createDeflateRaw({ level: this.level, chunkSize: OUT_CHUNK, finishFlush: constants.Z_SYNC_FLUSH });
    this.deflater = d;
    this.pumping = (async () => {
      for await (const out of d) await this.emit(out as Buffer);
    })();
    this.pumping.catch((e) => d.destroy(e)); // a writer waiting on the deflater must not hang
    return d;
  }

  private async endRun(): Promise<void> {
    const d = this.deflater;
    if (!d) return;
    this.deflater = undefined;
    d.end();
    await this.pumping; // every byte of the run is in the file stream before anything follows
  }

  private async emit(chunk: Buffer): Promise<void> {
    if (this.failed) throw this.failed;
    this.hash.update(chunk);
    this.bytes += chunk.length;
    if (!this.file.write(chunk)) await untilDrain(this.file);
  }
}
