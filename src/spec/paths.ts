/**
 * Where a spec's paths point (docs/hop-spec.md "Paths"): relative paths resolve
 * against the project root (the folder holding bundles/, so templates and
 * migrations are shared by all hops); "./" or "../" paths against the hop folder.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { usageError } from '../errors.js';

export const SPEC_FILE = 'bundle.yaml';

export interface SpecLocation {
  file: string;
  hopDir: string;
}

/** accepts a hop folder or the path of its bundle.yaml */
export async function locateSpec(input: string): Promise<SpecLocation> {
  const given = path.resolve(input);
  const info = await stat(given).catch(() => undefined);
  const file = info?.isDirectory() ? path.join(given, SPEC_FILE) : given;
  const found = info?.isDirectory()
    ? await stat(file).then(
        (s) => s.isFile(),
        () => false,
      )
    : info?.isFile();
  if (!found) {
    throw usageError('SPEC_NOT_FOUND', `no hop spec at ${file}`, `give a hop folder holding ${SPEC_FILE} (e.g. bundles/4.0.1-to-4.1.1) or the path of the ${SPEC_FILE} itself`);
  }
  return { file, hopDir: path.dirname(file) };
}

/** the project root of a hop folder: the parent of bundles/, or the hop folder itself when it is not inside a bundles/ folder */
export const defaultProjectRoot = (hopDir: string): string => (path.basename(path.dirname(hopDir)) === 'bundles' ? path.dirname(path.dirname(hopDir)) : hopDir);

export function resolveSpecPath(raw: string, where: { hopDir: string; projectRoot: string }): string {
  if (path.isAbsolute(raw)) return path.normalize(raw);
  const hopRelative = raw === '.' || raw === '..' || raw.startsWith('./') || raw.startsWith('../');
  return path.resolve(hopRelative ? where.hopDir : where.projectRoot, raw);
}

/** true when `child` is `parent` or inside it (both already absolute and normalized) */
export const isInside = (child: string, parent: string): boolean => {
  const rel = path.relative(parent, child);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
};

/** a config dest must stay under the manager root: relative, no "..", no empty segments */
export function badDest(dest: string): string | undefined {
  if (dest.trim() === '') return 'is empty';
  if (path.posix.isAbsolute(dest) || /^[A-Za-z]:[\\/]/.test(dest) || dest.startsWith('\\')) return 'is absolute';
  if (dest.split(/[\\/]/).includes('..')) return 'contains ".."';
  if (dest.endsWith('/')) return 'names a folder, not a file';
  return undefined;
}
