/**
 * After a package is unpacked: every symbolic link in the release must resolve
 * inside it. The per-entry filter (safe-extract.ts) sees entries one at a time,
 * so a link whose meaning changes later (`l -> sub/../..` first, `sub -> ..`
 * after, or a folder replaced by a link) is only caught once everything is on
 * disk. Links are resolved segment by segment through the release's own links,
 * without following anything outside it.
 */
import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';

/** how many links one resolution may pass through (as the kernel's ELOOP limit) */
const MAX_HOPS = 40;

/** why the link at `rel` (relative to root) leads outside root, or null */
async function linkProblem(root: string, rel: string): Promise<string | null> {
  const at = path.posix.dirname(rel) === '.' ? [] : path.posix.dirname(rel).split('/');
  let todo = (await readlink(path.join(root, rel))).split('/');
  if (todo[0] === '') return 'it points to an absolute path';
  for (let hops = 0; todo.length; ) {
    const seg = todo.shift()!;
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (!at.length) return 'it leads outside the release';
      at.pop();
      continue;
    }
    at.push(seg);
    const st = await lstat(path.join(root, ...at)).catch(() => undefined);
    if (!st?.isSymbolicLink()) continue; // a file, a folder, or nothing (then the rest is read as written)
    if (++hops > MAX_HOPS) return 'it passes through too many links';
    const target = await readlink(path.join(root, ...at));
    if (target.startsWith('/')) return 'it leads through a link to an absolute path';
    at.pop();
    todo = [...target.split('/'), ...todo];
  }
  return null;
}

/** the first symbolic link under root that resolves outside it, with the reason */
export async function linkLeavingTree(root: string, rel = ''): Promise<{ path: string; why: string } | null> {
  for (const d of await readdir(path.join(root, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${d.name}` : d.name;
    if (d.isSymbolicLink()) {
      const why = await linkProblem(root, p);
      if (why) return { path: p, why };
    } else if (d.isDirectory()) {
      const found = await linkLeavingTree(root, p);
      if (found) return found;
    }
  }
  return null;
}
