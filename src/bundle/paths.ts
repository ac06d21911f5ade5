/**
 * Path safety for bundle entries and manifest keys: a path must stay inside the
 * bundle's folder whatever tool unpacks it.
 */

/** why a relative posix path is unsafe, or null when it is a plain path inside its folder */
export function unsafeReason(path: string): string | null {
  if (path === '') return 'the path is empty';
  if (path.includes('\0')) return 'the path contains a NUL byte';
  if (path.includes('\\')) return 'the path contains a backslash';
  if (path.startsWith('/')) return 'the path is absolute';
  for (const seg of path.split('/')) {
    if (seg === '..') return "the path climbs out with '..'";
    if (seg === '.' || seg === '') return "the path has an empty or '.' segment";
  }
  return null;
}

export const isSafeRelativePath = (path: string): boolean => unsafeReason(path) === null;

/** a folder name usable as the bundle's top folder: one plain segment */
export const isSafeTopDir = (name: string): boolean => isSafeRelativePath(name) && !name.includes('/');

/** byte order of UTF-8, the order of entries in the archive (independent of locale) */
export const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** every ancestor folder of a relative path: a/b/c -> [a, a/b] */
export function parentDirs(path: string): string[] {
  const segs = path.split('/');
  return segs.slice(0, -1).map((_, i) => segs.slice(0, i + 1).join('/'));
}
