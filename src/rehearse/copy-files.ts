/**
 * The rehearsal's copy of the manager's files: everything under the root except
 * what belongs to the running processes (var/run, var/lock), their logs, the
 * reports and downloads, and the SQLite database (copied consistently on its own).
 * Links that point into the live root are re-pointed into the copy, so nothing the
 * copy runs can reach a live file.
 */
import { cp, lstat, readlink, symlink, unlink } from 'node:fs/promises';
import path from 'node:path';
import { failure, messageOf } from '../errors.js';

export const SKIPPED = ['var/run', 'var/lock', 'var/log', 'var/lib/uphop/reports', 'var/lib/uphop/downloads'];

export interface FilesCopy {
  files: number;
  bytes: number;
  relinked: number;
}

export async function copyFiles(live: string, copy: string, skipFiles: string[]): Promise<FilesCopy> {
  const skip = new Set([...SKIPPED.map((p) => path.join(live, p)), ...skipFiles.flatMap((f) => [f, `${f}-wal`, `${f}-shm`, `${f}-journal`])]);
  const stats: FilesCopy = { files: 0, bytes: 0, relinked: 0 };
  const links: string[] = [];
  try {
    await cp(live, copy, {
      recursive: true,
      verbatimSymlinks: true,
      preserveTimestamps: true,
      filter: async (src) => {
        if (skip.has(src)) return false;
        const st = await lstat(src);
        if (st.isSymbolicLink()) links.push(path.join(copy, path.relative(live, src)));
        else if (st.isFile()) {
          stats.files++;
          stats.bytes += st.size;
        }
        return true;
      },
    });
  } catch (e) {
    throw failure('REHEARSE_COPY_FAILED', `Copying ${live} for the rehearsal failed: ${messageOf(e)}.`, 'Check the free space of the temp folder (--work DIR puts the copy elsewhere).');
  }
  for (const link of links) {
    const target = await readlink(link);
    if (!path.isAbsolute(target) || (target !== live && !target.startsWith(live + path.sep))) continue;
    await unlink(link);
    await symlink(path.join(copy, path.relative(live, target)), link);
    stats.relinked++;
  }
  return stats;
}
