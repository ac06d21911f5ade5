/**
 * The verified bundle copies kept under var/lib/uphop/bundles/<id>. Replacing one
 * (another build of the same hop) takes two renames, the old copy aside and the
 * new one in place; the old one is deleted once the install begins (keep) and put
 * back when it does not (discard). A kill -9 between those steps leaves
 * `<id>.previous-<pid>` behind, and since a copy is kept before the journal says
 * an install began, a leftover aside always means that install never began: the
 * old copy is the truth, and recoverKept puts it back.
 */
import { readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Layout } from './layout.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** where this process puts the old copy while it replaces it */
export const asideOf = (L: Layout, id: string) => `${L.bundle(id)}.previous-${process.pid}`;

/** delete a kept folder so that a kill cannot leave half of it looking whole: renamed away first */
export async function dropKept(L: Layout, dir: string, id: string): Promise<void> {
  const trash = `${L.bundle(id)}.trash-${process.pid}`;
  await rename(dir, trash).catch((e) => { if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; });
  await rm(trash, { recursive: true, force: true });
}

/** undo what a killed installer left half-done for <id>; another live installer's aside is left alone */
export async function recoverKept(L: Layout, id: string): Promise<void> {
  const names = await readdir(L.bundlesDir).catch(() => [] as string[]);
  for (const name of names) {
    const full = path.join(L.bundlesDir, name);
    const trash = /^(.*)\.trash-(\d+)$/.exec(name);
    if (trash?.[1] === id && !alive(Number(trash[2]))) await rm(full, { recursive: true, force: true });
    const aside = /^(.*)\.previous-(\d+)$/.exec(name);
    if (aside?.[1] !== id || alive(Number(aside[2]))) continue;
    await dropKept(L, L.bundle(id), id);
    await rename(full, L.bundle(id));
  }
}
