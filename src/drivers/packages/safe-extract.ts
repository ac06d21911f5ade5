/**
 * Streaming tar extraction that refuses, rather than silently skips, any entry that
 * could land outside the destination: absolute paths, `..`, links pointing out, paths
 * through a symlink of the same archive, device files. The first bad entry aborts.
 * Once everything is unpacked, every symlink must still resolve inside the
 * release (link-check.ts): entry order cannot make a link escape after the fact.
 */
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Unpack, type ReadEntry } from 'tar';
import { failure } from '../../errors.js';
import { linkLeavingTree } from './link-check.js';

const posix = path.posix;
const FORBIDDEN_TYPES = new Set(['CharacterDevice', 'BlockDevice', 'FIFO']);

const isAbsolute = (p: string) => p.startsWith('/') || p.startsWith('\\') || /^[A-Za-z]:/.test(p);
const climbs = (p: string) => p.split(/[\\/]/).includes('..');
const clean = (p: string) =>
  posix
    .normalize(p)
    .replace(/^(\.\/)+/, '')
    .replace(/\/+$/, '');

/** is `rel`, or one of its parents when `self` is false, a symlink of the archive? */
function viaSymlink(rel: string, symlinks: Set<string>, self: boolean): boolean {
  const parts = rel.split('/');
  for (let i = 1; i <= parts.length - (self ? 0 : 1); i++) if (symlinks.has(parts.slice(0, i).join('/'))) return true;
  return false;
}

/**
 * Follow a relative symlink target from `dir` segment by segment: it must never climb
 * above the top, nor pass through another symlink of the archive (whose own target
 * would change where the following ".." lands).
 */
function targetProblem(dir: string, target: string, symlinks: Set<string>): string | null {
  const at = dir && dir !== '.' ? dir.split('/') : [];
  const segs = target.split('/').filter((s) => s && s !== '.');
  for (const [i, seg] of segs.entries()) {
    if (seg === '..') {
      if (at.length === 0) return `a symbolic link pointing outside (${target})`;
      at.pop();
    } else {
      at.push(seg);
      if (i < segs.length - 1 && symlinks.has(at.join('/'))) return `a symbolic link through another one (${target})`;
    }
  }
  return null;
}

/** why `entry` is unsafe, or null; `symlinks` = paths of the archive's symlinks so far */
export function unsafeReason(entry: Pick<ReadEntry, 'path' | 'type' | 'linkpath'>, symlinks: Set<string>): string | null {
  const p = entry.path;
  if (isAbsolute(p)) return 'an absolute path';
  if (climbs(p)) return 'a path with ".."';
  if (FORBIDDEN_TYPES.has(entry.type)) return `a ${entry.type} entry`;
  const rel = clean(p);
  if (viaSymlink(rel, symlinks, false)) return 'a path through a symbolic link';
  const link = entry.linkpath ?? '';
  if (entry.type === 'SymbolicLink') {
    if (isAbsolute(link)) return `a symbolic link to the absolute path ${link}`;
    const problem = targetProblem(posix.dirname(rel), link, symlinks);
    if (problem) return problem;
    symlinks.add(rel);
  }
  if (entry.type === 'Link') {
    if (isAbsolute(link) || climbs(link)) return `a hard link pointing outside (${link})`;
    // a hard link to a symlink is a copy of it elsewhere, where its relative target means something else
    if (viaSymlink(clean(link), symlinks, true)) return `a hard link to a symbolic link (${link})`;
  }
  return null;
}

/** extract the tar (optionally gzip'd) read from `source` into the existing folder `dest` */
export function extractTarSafely(source: Readable, dest: string, label: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const symlinks = new Set<string>();
    let refused: Error | undefined;
    const unpack = new Unpack({
      cwd: dest,
      strict: true,
      preserveOwner: false,
      filter: (p, entry) => {
        if (refused) return false;
        const why = unsafeReason(entry as ReadEntry, symlinks);
        if (!why) return true;
        refused = failure('PACKAGE_UNSAFE_ENTRY', `The package ${label} holds ${why}: "${p}"; nothing of it was installed.`, 'Rebuild the package with paths relative to its top folder.');
        unpack.abort(refused);
        return false;
      },
    });
    const fail = (e: unknown) => {
      source.destroy();
      reject(
        refused ??
          failure(
            'PACKAGE_UNPACK_FAILED',
            `Cannot unpack ${label}: ${e instanceof Error ? e.message : String(e)}.`,
            'Check that the package is a complete, valid archive (rebuild or fetch the bundle again).',
            e,
          ),
      );
    };
    unpack.on('error', fail);
    unpack.on('close', () => {
      if (refused) return fail(refused);
      linkLeavingTree(dest).then((bad) => {
        if (!bad) return resolve();
        refused = failure(
          'PACKAGE_UNSAFE_ENTRY',
          `The package ${label} holds a symbolic link "${bad.path}" that, once unpacked, ${bad.why.replace(/^it /, '')}; nothing of it is used.`,
          'Rebuild the package with links that stay inside its top folder.',
        );
        fail(refused);
      }, fail);
    });
    source.on('error', fail);
    source.pipe(unpack);
  });
}
