/** The download folder of an upgrade: where each hop's bundle is, or how much of it arrived. */
import { readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { checkFileName } from '../store/keys.js';
import { partialPaths, type PartialState } from '../store/partial.js';
import type { CacheState } from './types.js';

export const defaultCache = (root: string) => path.join(root, 'var', 'lib', 'uphop', 'downloads');

/**
 * A file of the right size counts as downloaded here (the dry run must not read
 * gigabytes); the real run checks its sha256 before installing anything.
 */
export async function cacheState(dir: string, file: string, size: number): Promise<{ state: CacheState; bytes: number }> {
  const dest = path.join(dir, checkFileName(file));
  if ((await stat(dest).catch(() => undefined))?.size === size) return { state: 'downloaded', bytes: size };
  try {
    const s = JSON.parse(await readFile(partialPaths(dest).sidecar, 'utf8')) as PartialState;
    const bytes = s.size === size && Array.isArray(s.done) ? s.done.reduce((a, b) => a + b, 0) : 0;
    return bytes > 0 ? { state: 'partial', bytes } : { state: 'missing', bytes: 0 };
  } catch {
    return { state: 'missing', bytes: 0 };
  }
}

/** an installed hop's bundle is kept extracted under var/lib/uphop/bundles: the archive is no longer needed */
export async function dropDownload(dir: string, file: string): Promise<void> {
  await rm(path.join(dir, checkFileName(file)), { force: true });
  await rm(path.join(dir, `${checkFileName(file)}.sig`), { force: true }); // its detached signature goes with it
}
