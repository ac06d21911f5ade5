/** Crash-safe file system moves: a reader sees the old state or the new one, never half of either. */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

export const randomSuffix = () => randomBytes(6).toString('hex');

export async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/** make a rename or unlink durable: the directory entry itself must reach the disk */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await fs.open(dir, 'r');
  try {
    await fh.sync();
  } catch {
    // some file systems refuse fsync on directories; the rename is still atomic
  } finally {
    await fh.close();
  }
}

export async function writeFileAtomic(file: string, data: string, mode = 0o644): Promise<void> {
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.tmp-${randomSuffix()}`);
  const fh = await fs.open(tmp, 'w', mode);
  try {
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await fsyncDir(dir);
}

/** point `link` at `target` by renaming a fresh symlink over it (atomic on POSIX) */
export async function swapSymlink(link: string, target: string): Promise<void> {
  const dir = path.dirname(link);
  const tmp = path.join(dir, `${path.basename(link)}.tmp-${randomSuffix()}`);
  await fs.symlink(target, tmp);
  try {
    await fs.rename(tmp, link);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await fsyncDir(dir);
}

/** null when `link` is absent; throws when it exists but is not a symlink */
export async function readLinkOrNull(link: string): Promise<string | null> {
  try {
    return await fs.readlink(link);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/**
 * Delete a tree so that a crash midway never leaves a half-deleted folder under its
 * real name: rename it to a dot-trash name first, then remove.
 */
export async function removeTree(dir: string): Promise<void> {
  if (!(await exists(dir))) return;
  const trash = path.join(path.dirname(dir), `.trash-${path.basename(dir)}-${randomSuffix()}`);
  await fs.rename(dir, trash);
  await fsyncDir(path.dirname(dir));
  await fs.rm(trash, { recursive: true, force: true });
}

/** remove leftovers of interrupted runs: `.trash-*` always, `*.partial` when asked */
export async function sweepLeftovers(dir: string, opts: { partials: boolean }): Promise<void> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  for (const n of names) {
    if (n.startsWith('.trash-') || (opts.partials && n.endsWith('.partial'))) {
      await fs.rm(path.join(dir, n), { recursive: true, force: true });
    }
  }
}
