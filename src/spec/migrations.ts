/**
 * Schema migrations of a hop: `<folder>/<version>/<NNN>-<name>[.pre|.post].(mjs|cjs|js|sql)`.
 * The whole folder is checked, not only the hop's range: a misnamed folder or file
 * would otherwise be skipped silently by every hop.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import path from 'node:path';
import semver from 'semver';
import { usageError, messageOf, isUphopError, type Problem } from '../errors.js';
import type { MigrationPhase } from '../bundle/manifest.js';
import type { SpecMigration } from './types.js';
import { parseSqlMigration } from './sql.js';

export { parseSqlMigration, type SqlMigration } from './sql.js';

export const MIGRATION_EXTENSIONS = ['.mjs', '.cjs', '.js', '.sql'] as const;

export interface MigrationIssue {
  file: string;
  message: string;
  hint: string;
}

export interface MigrationScan {
  /** every migration of the folder, sorted */
  migrations: SpecMigration[];
  issues: MigrationIssue[];
}

const FILE_NAME = /^\d+-/;

export const phaseOf = (fileName: string): MigrationPhase => {
  const stem = fileName.slice(0, fileName.length - path.extname(fileName).length);
  return stem.endsWith('.pre') ? 'pre' : stem.endsWith('.post') ? 'post' : 'main';
};

export const compareMigrations = (a: SpecMigration, b: SpecMigration): number => semver.compare(a.version, b.version) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** whether a migration of `version` belongs to the hop from -> to: (from, to], or <= to for "none"; a range counts by its upper bound */
export const inHop = (version: string, from: string, to: string): boolean => semver.lte(version, to) && (from === 'none' || semver.gtr(version, from));

export async function scanMigrations(folder: string): Promise<MigrationScan> {
  const entries = await readdir(folder).catch((e: NodeJS.ErrnoException) => {
    const what = e.code === 'ENOTDIR' ? 'is not a folder' : 'does not exist';
    throw usageError('MIGRATIONS_MISSING', `the migrations folder ${folder} ${what}`, 'create it (one sub-folder per version) or fix the "migrations" path');
  });
  const scan: MigrationScan = { migrations: [], issues: [] };
  for (const entry of entries.sort()) {
    if (entry.startsWith('.')) continue;
    const full = path.join(folder, entry);
    const info = await stat(full).catch(() => undefined);
    if (!info) scan.issues.push({ file: full, message: `${entry} is a broken link`, hint: 'remove it or point it at an existing folder' });
    else if (info.isDirectory()) await scanVersion(full, entry, scan);
    else if (isMigrationFile(entry)) {
      scan.issues.push({ file: full, message: `migration ${entry} is not inside a version folder`, hint: `move it to ${folder}/<version>/, the version that introduced it` });
    }
  }
  scan.migrations.sort(compareMigrations);
  return scan;
}

const isMigrationFile = (name: string) => (MIGRATION_EXTENSIONS as readonly string[]).includes(path.extname(name));

async function scanVersion(dir: string, version: string, scan: MigrationScan): Promise<void> {
  if (semver.valid(version) !== version) {
    const clean = semver.valid(semver.coerce(version));
    scan.issues.push({
      file: dir,
      message: `migrations folder name "${version}" is not a semver version`,
      hint: `rename it to the exact version that introduced its migrations${clean ? `, e.g. ${clean}` : ', e.g. 4.1.1'}`,
    });
    return;
  }
  for (const name of (await readdir(dir)).sort()) {
    if (name.startsWith('.')) continue;
    const file = path.join(dir, name);
    const issue = (message: string, hint: string) => scan.issues.push({ file, message, hint });
    const info = await stat(file).catch(() => undefined);
    if (!info) issue(`${version}/${name} is a broken link`, 'remove it or point it at an existing file');
    else if (info.isDirectory()) issue(`${version}/${name} is a folder inside a version folder`, 'move its migrations up into the version folder; sub-folders are not read');
    else if (!isMigrationFile(name)) issue(`${version}/${name} has an unsupported extension`, `name migrations <NNN>-<name>[.pre|.post] with one of ${MIGRATION_EXTENSIONS.join(' ')}`);
    else if (!FILE_NAME.test(name)) issue(`${version}/${name} does not start with a sequence number`, `rename it to <NNN>-<name>, e.g. 001-${name}, so its order is explicit`);
    else {
      const problem = await checkContent(file, name);
      if (problem) issue(problem.message, problem.hint);
      else scan.migrations.push({ version, name: `${version}/${name}`, file, phase: phaseOf(name) });
    }
  }
}

async function checkContent(file: string, name: string): Promise<{ message: string; hint: string } | undefined> {
  const text = await readFile(file, 'utf8');
  if (name.endsWith('.sql')) {
    try {
      parseSqlMigration(text, file);
    } catch (e) {
      return { message: messageOf(e), hint: isUphopError(e) && e.hint ? e.hint : 'fix the file' };
    }
    return undefined;
  }
  const pkg = packageImports(text)[0];
  if (pkg) {
    return {
      message: `${file} imports the package "${pkg}"`,
      hint: 'migrations run air-gapped with only node: use the knex instance passed as `context` and node: built-ins',
    };
  }
  return undefined;
}

// static imports/re-exports at a line start, dynamic import() and require(): enough to catch a stray package
const IMPORTS = [/^\s*import\s[^'"]*?['"]([^'"]+)['"]/gm, /^\s*export\s[^'"]*?\bfrom\s*['"]([^'"]+)['"]/gm, /\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)/g];

/** bare package names a module imports (node built-ins and relative paths aside) */
export function packageImports(source: string): string[] {
  const names = IMPORTS.flatMap((re) => [...source.matchAll(re)].map((m) => m[1]));
  return names.filter((n) => !/^(\.|\/|node:)/.test(n) && !builtinModules.includes(n.split('/')[0]));
}

export const issuesToProblems = (issues: MigrationIssue[], field = 'migrations'): Problem[] => issues.map((i) => ({ file: i.file, field, message: i.message, hint: i.hint }));

/** the hop's migrations, sorted by version then file name; throws when the folder has any problem */
export async function discoverMigrations(folder: string, from: string, to: string): Promise<SpecMigration[]> {
  const { migrations, issues } = await scanMigrations(folder);
  if (issues.length) {
    const n = issues.length;
    throw usageError('MIGRATIONS_INVALID', `${n} ${n === 1 ? 'problem' : 'problems'} in ${folder}`, 'fix each problem listed, then run again', issuesToProblems(issues));
  }
  return migrations.filter((m) => inHop(m.version, from, to));
}
