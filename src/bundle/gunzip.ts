/**
 * Decompressed chunks of a bundle, with zlib's failures turned into refusals.
 * strict: the gzip trailer (CRC, length) must be there, as for a whole file;
 * lenient: a stream cut short (a ranged download of the first bytes) yields
 * what it has, and the tar reader decides whether that was enough.
 * A stream that expands far beyond any real bundle (a decompression bomb) is
 * refused early, so it cannot cost minutes of CPU before anything is checked.
 */
import type { Readable } from 'node:stream';
import { constants, createGunzip, type Gunzip } from 'node:zlib';
import { failure, isUphopError, messageOf } from '../errors.js';
import { LIMITS, limitRefusal } from './limits.js';
import { bundleRefusal } from './refusals.js';

const OUT_CHUNK = 256 * 1024;

/** zlib inflates a whole written chunk before it looks at backpressure: small writes bound what one can expand to (~1000x, so ~64 MB); much smaller slices cost throughput */
const IN_SLICE = 64 * 1024;

/** feeds the source to gunzip in small slices, waiting for it to drain; errors end up on gz */
async function pump(source: Readable, gz: Gunzip, onChunk: (c: Buffer) => void): Promise<void> {
  const drained = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        gz.off('drain', done);
        gz.off('close', done);
        resolve();
      };
      gz.on('drain', done);
      gz.on('close', done);
    });
  try {
    for await (const chunk of source) {
      const c = chunk as Buffer;
      onChunk(c);
      for (let off = 0; off < c.length && !gz.destroyed; off += IN_SLICE) if (!gz.write(c.subarray(off, off + IN_SLICE))) await drained();
      if (gz.destroyed) return;
    }
    gz.end();
  } catch (e) {
    if (!gz.destroyed) gz.destroy(e as Error);
  }
}

export async function* gunzipChunks(source: Readable, label: string, strict: boolean): AsyncGenerator<Buffer> {
  const gz = createGunzip({ chunkSize: OUT_CHUNK, finishFlush: strict ? constants.Z_FINISH : constants.Z_SYNC_FLUSH });
  let compressed = 0;
  let magic: boolean | undefined; // whether it starts as gzip: then a bad header later is junk after the stream
  void pump(source, gz, (c) => {
    magic ??= c[0] === 0x1f;
    compressed += c.length;
  });
  let expanded = 0;
  try {
    for await (const chunk of gz) {
      expanded += (chunk as Buffer).length;
      if (expanded > LIMITS.bombSlack + LIMITS.expansion * compressed)
        throw limitRefusal(label, `its gzip stream expands more than ${LIMITS.expansion} times (a decompression bomb)`, `${LIMITS.expansion}:1 beyond the first ${LIMITS.bombSlack} bytes`);
      yield chunk as Buffer;
    }
  } catch (e) {
    throw zlibRefusal(e, label, magic === true);
  } finally {
    gz.destroy();
    source.destroy(); // we may stop early: release the file or connection now
  }
}

function zlibRefusal(e: unknown, label: string, started: boolean): Error {
  if (isUphopError(e)) return e;
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'Z_BUF_ERROR') return bundleRefusal.truncated(label, 'the gzip stream ends early');
  if (code === 'Z_DATA_ERROR') {
    const msg = messageOf(e);
    if (msg !== 'incorrect header check') return bundleRefusal.corrupt(label, `its gzip data is damaged (${msg})`);
    return bundleRefusal.corrupt(label, started ? 'it has bytes after its gzip stream that are not gzip' : 'it is not gzip-compressed');
  }
  return failure('BUNDLE_READ_FAILED', `Cannot read ${label}: ${messageOf(e)}.`, 'Check the file or the connection and try again.', e);
}
