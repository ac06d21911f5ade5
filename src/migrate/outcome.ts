/**
 * What a failed run tells the user: which migration failed, the database's own
 * message, and what state the schema was left in.
 */
import type { MigrationPhase } from '../bundle/manifest.js';
import { failure, isUphopError, messageOf, type UphopError } from '../errors.js';
import type { MigrationFile } from './types.js';

/** filled in by the runner's steps while Umzug runs them */
export interface RunState {
  /** ups that completed in this call, in order */
  applied: MigrationFile[];
  /** the step that threw, with the error as the driver gave it (not Umzug's wrapper) */
  failed?: { name: string; error: unknown };
}

const sentence = (s: string) => s.trim().replace(/[.\s]+$/, '');

/** an up failed and the phase was undone (rolled back, or downs on MariaDB) */
export function phaseFailed(e: unknown, phase: MigrationPhase, state: RunState): UphopError {
  if (isUphopError(e) && !state.failed) return e;
  const where = state.failed ? `Migration ${state.failed.name} failed` : `The ${phase} migration phase failed`;
  const cause = state.failed?.error ?? e;
  return failure(
    'MIGRATION_FAILED',
    `${where}: ${sentence(messageOf(cause))}; the ${phase} phase was undone, the schema is as before.`,
    'fix the migration (or the data it trips on) and run the install again',
    cause,
  );
}

/** MariaDB: an up failed and then one of the downs meant to undo the phase failed too */
export function undoFailed(e: unknown, undoError: unknown, phase: MigrationPhase, state: RunState, stillApplied: string[]): UphopError {
  const what = state.failed ? `Migration ${state.failed.name} failed (${sentence(messageOf(state.failed.error))})` : `The ${phase} migration phase failed (${sentence(messageOf(e))})`;
  return failure(
    'MIGRATION_UNDO_FAILED',
    `${what} and undoing the ${phase} phase failed too: ${sentence(messageOf(undoError))}; still applied: ${stillApplied.join(', ')}.`,
    'restore the database from the backup taken before the install (uphop rollback does this)',
    undoError,
  );
}

/** a down failed; `stillApplied` undefined means its transaction rolled everything back */
export function downFailed(e: unknown, state: RunState, stillApplied?: string[]): UphopError {
  if (isUphopError(e) && !state.failed) return e;
  const cause = state.failed?.error ?? e;
  const left = stillApplied ? `still applied: ${stillApplied.join(', ')}` : 'nothing was reverted';
  return failure(
    'MIGRATION_DOWN_FAILED',
    `Reverting migration ${state.failed?.name ?? '(unknown)'} failed: ${sentence(messageOf(cause))}; ${left}.`,
    'restore the database from the backup taken before the install (uphop rollback does this)',
    cause,
  );
}

export function notInBundle(name: string): never {
  throw failure(
    'MIGRATION_UNKNOWN',
    `Migration ${name} is not in this bundle, so it cannot be reverted.`,
    'revert with the bundle that shipped it, or restore the database from the backup taken before the install',
  );
}

export const irreversibleError = (name: string) =>
  failure('MIGRATION_IRREVERSIBLE', `Migration ${name} has no down step, so it cannot be reverted.`, 'restore the database from the backup taken before the install (uphop rollback does this)');
