/** Streaming sha256 of files: fixed memory whatever the file size. */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

export const READ_CHUNK = 1024 * 1024;

export interface FileDigest {
  sha256: string;
  size: number;
}

export async function hashFile(path: string): Promise<FileDigest> {
  const fh = await open(path, 'r');
  try {
    const hash = createHash('sha256');
    // two buffers: the next read runs on the thread pool while this one is hashed
    const bufs = [Buffer.allocUnsafe(READ_CHUNK), Buffer.allocUnsafe(READ_CHUNK)];
    let size = 0;
    let turn = 0;
    let pending = fh.read(bufs[0], 0, READ_CHUNK, null);
    for (;;) {
      const { bytesRead } = await pending;
      if (bytesRead === 0) break;
      const current = bufs[turn];
      turn ^= 1;
      pending = fh.read(bufs[turn], 0, READ_CHUNK, null);
      hash.update(current.subarray(0, bytesRead));
      size += bytesRead;
    }
    return { sha256: hash.digest('hex'), size };
  } finally {
    await fh.close();
  }
}
