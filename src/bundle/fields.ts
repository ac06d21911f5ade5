/**
 * The rules for manifest values that become part of a path, an argument or a
 * key on the manager (folder names, release folders, unit names, migration
 * keys). They are the spec's own rules (src/spec), repeated here so the
 * installer checks what a builder was supposed to have checked.
 */
import semver from 'semver';

/** product and component names: the spec's name rule (src/spec/validate-components.ts NAME) */
export const NAME = /^[a-z][a-z0-9-]*$/;
/** hook names the spec knows (src/spec/validate-services.ts HOOK_NAMES) */
export const HOOK_NAMES: readonly string[] = ['preflight', 'pre-install', 'post-install', 'seed', 'verify'];
/** systemd unit names (src/spec/validate-components.ts UNIT), never "." or ".." */
export const UNIT = /^(?!\.\.?$)[A-Za-z0-9:_.@-]{1,255}$/;
/** environment variable names */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** a bare SQL table name (test_path.ignore_data): it is compared as text, never put into SQL */
export const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;
/** migration file names: <NNN>-<name>.<ext>, one path segment */
const MIGRATION_FILE = /^\d+-[^/\\\0]*\.(mjs|cjs|js|sql)$/;
/** the characters a semver range may use: it becomes part of the bundle's folder name */
const RANGE_CHARS = /^[A-Za-z0-9.+~^<>=*|x -]{1,200}$/;

/** an exact, clean semver version, as the spec requires (no range, no "v") */
export const isExactVersion = (v: unknown): v is string => typeof v === 'string' && v.length <= 100 && semver.valid(v) === v;

/** `from`: an exact version, a semver range, or "none" */
export const isFrom = (v: unknown): v is string => v === 'none' || isExactVersion(v) || (typeof v === 'string' && RANGE_CHARS.test(v) && semver.validRange(v) !== null);

/** a migration's name is "<version>/<file name>" (the key recorded in uphop_migrations) */
export function migrationNameProblem(version: string, name: string): string | null {
  if (!name.startsWith(`${version}/`)) return `must start with its version ${version}/`;
  return MIGRATION_FILE.test(name.slice(version.length + 1)) ? null : 'must be <version>/<NNN>-<name>.<mjs|cjs|js|sql>';
}
