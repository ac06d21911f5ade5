/**
 * Temporary files of interrupted runs, by name: `.incoming-*` bundle copies, `*.tmp-*`
 * atomic writes (state, configs, values, pidfiles, links), `releases/<v>.partial`,
 * `*.partial` backups, `.trash-*` half-deleted trees, and a kept bundle copy whose
 * install never began (no journal). Removed only when no other uphop runs on this
 * root (no live lock owner, no live starting marker): theirs may be in use.
 */
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { exists } from '../drivers/fsutil.js';
import type { Layout } from './layout.js';
import { lockOwnerAlive, readLock } from './lock.js';
import { clearStarting, readStarts } from './starting.js';
import { readState } from './state.js';

const TEMP = [/^\.incoming-/, /\.tmp-[A-Za-z0-9-]+$/, /\.partial(-[A-Za-z0-9]+)?$/, /^\.trash-/, /^\.uphop-extract-/];
export const isTempName = (name: string) => TEMP.some((re) => re.test(name));

async function entries(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => [] as string[]);
}

async function sweepDir(dir: string, depth: number, removed: string[]): Promise<void> {
  for (const d of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const full = path.join(dir, d.name);
    if (isTempName(d.name)) {
      await rm(full, { recursive: true, force: true });
      removed.push(full);
    } else if (depth > 0 && d.isDirectory()) await sweepDir(full, depth - 1, removed); // never through a link (`current`)
  }
}

/** the folders uphop writes temp files in, for this root's product(s) */
async function places(L: Layout): Promise<[string, number][]> {
  const state = await readState(L.state).catch(() => undefined);
  const lib = path.dirname(L.state);
  const products = state ? [state.product] : await entries(path.join(L.root, 'opt'));
  const out: [string, number][] = [
    [lib, 0],
    [L.bundlesDir, 0],
    [L.journalDir, 0],
    [path.join(lib, 'backups'), 1],
    [path.join(lib, 'packages'), 2],
    [path.join(L.root, 'var', 'lock'), 0],
  ];
  for (const p of products) {
    out.push([L.etc(p), 1], [path.join(L.root, 'var', 'run', p), 0]);
    // <component>/ (current.tmp-*, .activation.json.tmp-*) and <component>/releases/ (<v>.partial), never inside a release
    for (const c of await entries(path.join(L.root, 'opt', p))) out.push([path.join(L.root, 'opt', p, c), 0], [path.join(L.root, 'opt', p, c, 'releases'), 0]);
  }
  for (const dest of Object.keys(state?.configs ?? {})) out.push([path.dirname(path.resolve(L.root, dest)), 0]);
  return out;
}

/** kept copies under bundles/ that no journal names: their install never began */
async function unbegunCopies(L: Layout, removed: string[]) {
  for (const name of await entries(L.bundlesDir)) {
    if (name.startsWith('.') || name.includes('.previous-') || name.includes('.trash-')) continue;
    if (await exists(L.journal(name))) continue;
    await rm(L.bundle(name), { recursive: true, force: true });
    removed.push(L.bundle(name));
  }
}

/**
 * remove every leftover; returns what went, or undefined when another uphop runs here.
 * keepStarts: leave the markers of installs that died before they changed anything,
 * so that status still says to run them again (uphop services does not run them).
 */
export async function sweepLeftovers(L: Layout, opts: { keepStarts?: boolean } = {}): Promise<string[] | undefined> {
  const lock = await readLock(L.lock);
  if (lock && lock.pid !== process.pid && (await lockOwnerAlive(lock))) return undefined;
  const starts = await readStarts(L);
  if (starts.live.length) return undefined;
  const removed: string[] = [];
  for (const [dir, depth] of await places(L)) await sweepDir(dir, depth, removed);
  await unbegunCopies(L, removed);
  if (!opts.keepStarts) for (const s of starts.abandoned) await clearStarting(L, s.pid);
  return removed;
}
