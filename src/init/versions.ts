/** Versions given to `uphop init`: exact semver, or exit 2 with the nearest clean one. */
import semver from 'semver';
import { usageError } from '../errors.js';

export function exactVersion(v: string, what: string): string {
  if (semver.valid(v) === v) return v;
  const clean = semver.valid(semver.coerce(v));
  throw usageError('INIT_BAD_VERSION', `${what} "${v}" is not an exact semver version.`, `Write MAJOR.MINOR.PATCH${clean ? `, e.g. ${clean}` : ', e.g. 1.0.0'}.`);
}
