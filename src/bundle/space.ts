/**
 * Nothing is written for a bundle before its size is known to fit: an archive's
 * manifest sizes (checked right after the signature, before the first file is
 * unpacked), or an extracted folder's real size (walked with lstat before it is
 * copied, which also refuses FIFOs, devices and links a copy would trip over).
 */
import { lstat, readdir, statfs } from 'node:fs/promises';
import path from 'node:path';
import { isUphopError, messageOf, refusal, usageError } from '../errors.js';
import { LIMITS, limitRefusal } from './limits.js';
import type { Manifest } from './manifest.js';
import { bundleRefusal } from './refusals.js';

/** room left for the file system's own needs (and the journal, state, logs that follow) */
const MARGIN = 16 * 1024 * 1024;

export const manifestBytesTotal = (m: Manifest, manifestBytes: number): number => Object.values(m.files).reduce((n, f) => n + f.size, manifestBytes + 4096);

/** refuses (exit 3) when `bytes` would not fit in `dir`'s file system */
export async function requireSpace(label: string, dir: string, bytes: number): Promise<void> {
  const fs = await statfs(dir).catch(() => undefined);
  if (!fs) return; // a file system that cannot tell: the write itself will fail cleanly
  const free = fs.bavail * fs.bsize;
  if (bytes + MARGIN > free)
    throw refusal(
      'BUNDLE_NO_SPACE',
      `${label} needs ${bytes} bytes, but ${dir} has ${free} bytes free; nothing was written.`,
      'Free some space on that file system (or unpack elsewhere), then try again.',
    );
}

/** the bytes of an extracted bundle folder; refuses anything but plain files and folders, within the entry limit */
export async function folderBytes(dir: string, label: string): Promise<number> {
  let bytes = 0;
  let entries = 0;
  const walk = async (rel: string): Promise<void> => {
    for (const name of await readdir(path.join(dir, rel))) {
      const p = rel ? `${rel}/${name}` : name;
      if (++entries > LIMITS.entries) throw limitRefusal(label, `it holds more than ${LIMITS.entries} entries`, `${LIMITS.entries} entries`);
      const st = await lstat(path.join(dir, p));
      if (st.isDirectory()) await walk(p);
      else if (st.isFile()) bytes += st.size;
      else throw bundleRefusal.unsafePath(label, p, st.isSymbolicLink() ? 'a bundle holds no symbolic links' : 'a bundle holds only plain files (no FIFOs, sockets or devices)');
    }
  };
  await walk('').catch((e: unknown) => {
    if (isUphopError(e)) throw e;
    throw usageError('BUNDLE_UNREADABLE', `Cannot read the bundle folder ${label}: ${messageOf(e)}.`, 'Check that the folder exists and is readable, or pass the bundle .tar.gz instead.');
  });
  return bytes;
}

/** before an extracted folder is copied into `destDir`: it holds only plain files, and they fit */
export async function requireRoomForFolder(source: string, destDir: string): Promise<void> {
  await requireSpace(source, destDir, await folderBytes(source, source));
}
