/** Small stream and file-system helpers for the writer. */
import { open } from 'node:fs/promises';

/** waits for 'drain'; rejects if the stream errors or closes first (so a writer never hangs) */
export function untilDrain(s: NodeJS.WritableStream & { destroyed: boolean; errored?: Error | null }): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      s.off('drain', onDrain);
      s.off('close', onClose);
      s.off('error', done);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = () => done();
    const onClose = () => done(s.errored ?? new Error('the output closed early'));
    if (s.destroyed) return onClose();
    s.on('drain', onDrain);
    s.on('close', onClose);
    s.on('error', done);
  });
}

export async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // some file systems refuse fsync on a directory; the rename itself already happened
  }
}
