/**
 * Decompressed chunks of a bundle, with zlib's failures turned into refusals.
 * strict: the gzip trailer (CRC, length) must be there, as for a whole file;
 * lenient: a stream cut short (a ranged download of the first bytes) yields
 * what it has, and the tar reader decides whether that was enough.
 * A stream that expands far beyond any real bundle (a decompression bomb) is
 * refused early, so it cannot cost minutes of CPU before anything is checked.
 */
import type { Readable } from 'node:stream';
import { constants, createGunzip } from 'node:zlib';
import { failure, isUphopError, messageOf } from '../errors.js';
import { LIMITS, limitRefusal } from './limits.js';
import { bundleRefusal } from './refusals.js';

const OUT_CHUNK = 256 * 1024;

export async function* gunzipChunks(source: Readable, label: string, strict: boolean): AsyncGenerator<Buffer> {
  const gz = createGunzip({ chunkSize: OUT_CHUNK, finishFlush: strict ? constants.Z_FINISH : constants.Z_SYNC_FLUSH });
  const onSourceError = (e: Error) => gz.destroy(e);
  let compressed = 0;
  let magic: boolean | undefined; // whether it starts as gzip: then a bad header later is junk after the stream
  const onData = (c: Buffer) => {
    magic ??= c[0] === 0x1f;
    compressed += c.length;
  };
  source.on('error', onSourceError);
  source.on('data', onData);
  source.pipe(gz);
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
    source.unpipe(gz);
    gz.destroy();
    source.destroy(); // we may stop early: release the file or connection now
    source.off('error', onSourceError);
    source.off('data', onData);
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
