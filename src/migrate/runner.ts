/**
 * Runs a bundle's schema migrations phase by phase over Umzug + knex, adding
 * what Umzug lacks: checksums and drift, a DB-session lock, and all-or-nothing
 * phases. PostgreSQL/SQLite: one transaction per phase. MariaDB (DDL commits
 * implicitly): one transaction per migration, and on failure the downs of the
 * ones applied in this call, newest first. Either way a failed phase leaves the
 * schema and uphop_migrations as they were (a failing MariaDB migration's own
 * DDL excepted: keep them one DDL statement each).
 *
 * A MariaDB run can also be killed (SIGKILL, power cut) after a migration's DDL
 * committed but before its record did: the schema is changed and nothing says
 * so, so resume re-runs the up ("table already exists") and rollback leaves the
 * residue. Hence, before each MariaDB up, a marker with a hash of the schema is
 * committed in uphop_migrations_inflight (inflight.ts) and deleted with the
 * record. Every later run (up or down, under the lock) first looks for markers of
 * unrecorded migrations and, when the schema changed since, runs that migration's
 * down to undo the committed part (recover.ts); then it proceeds as if the killed
 * run had never started. PostgreSQL/SQLite roll a killed transaction back and
 * never write markers.
 */
import type { Knex } from 'knex';
import type { MigrationPhase } from '../bundle/manifest.js';
import { dialectOf, hasTransactionalDdl } from '../drivers/db/dialect.js';
import type { DbClient } from '../drivers/db/connect.js';
import { usageError } from '../errors.js';
import { silent, type Emit } from '../events.js';
import { sha256File } from './checksum.js';
import { findDrift, type DriftReport } from './drift.js';
import { loadMigration, type LoadedMigration } from './load.js';
import { sqliteWriteLock, withSessionLock, lockedError } from './lock.js';
import { ensureInflightTable, hashSchema, markInflight, clearInflight } from './inflight.js';
import { recoverInflight } from './recover.js';
import { ensureMigrationTable, readApplied, MIGRATION_TABLE } from './storage.js';
import { migrationUmzug, type MigrationStatus } from './umzug.js';
import type { AppliedMigration, MigrationFile } from './types.js';
import { downFailed, irreversibleError, notInBundle, phaseFailed, undoFailed, type RunState } from './outcome.js';
import { schemaFingerprint } from './partial.js';

export const PHASES: readonly MigrationPhase[] = ['pre', 'main', 'post'];

export interface MigrationRunnerOptions {
  /** an open knex (drivers/db/connect.ts); the caller destroys it */
  knex: Knex;
  /** the current bundle's migrations, `file` absolute, in bundle order (semver, then file name) */
  migrations: MigrationFile[];
  emit?: Emit;
  /** how long to wait for another run's lock before DB_LOCKED; default 10 s */
  lockTimeoutMs?: number;
}

export type { MigrationStatus } from './umzug.js';

export class MigrationRunner {
  readonly dialect: DbClient;
  private readonly knex: Knex;
  private readonly migrations: MigrationFile[];
  private readonly emit: Emit;
  private readonly lockTimeoutMs: number;
  private readonly sums = new Map<string, string>();
  private lockDepth = 0;
  private toldNotInBundle = false;

  constructor(opts: MigrationRunnerOptions) {
    this.knex = opts.knex;
    this.dialect = dialectOf(opts.knex);
    this.migrations = opts.migrations;
    this.emit = opts.emit ?? silent;
    this.lockTimeoutMs = opts.lockTimeoutMs ?? 10_000;
    const seen = new Set<string>();
    for (const m of opts.migrations) {
      if (seen.has(m.name)) throw usageError('MIGRATION_DUPLICATE', `Migration ${m.name} is listed twice.`, 'give every migration file a unique name within its version folder');
      if (!PHASES.includes(m.phase)) throw usageError('MIGRATION_INVALID', `Migration ${m.name} has an unknown phase "${m.phase}".`, 'use .pre, .post or no phase marker in the file name');
      seen.add(m.name);
    }
  }

  /** sha256 of the migration file, cached for the life of the runner */
  async checksum(m: MigrationFile): Promise<string> {
    let sum = this.sums.get(m.name);
    if (!sum) this.sums.set(m.name, (sum = await sha256File(m.file)));
    return sum;
  }

  /** rows of uphop_migrations (none before the first run) */
  executed(): Promise<AppliedMigration[]> {
    return readApplied(this.knex);
  }

  /** this bundle's migrations not applied yet, in order; only those of `phase` when given */
  pending(phase?: MigrationPhase): Promise<MigrationFile[]> {
    return this.pendingIn(this.knex, phase);
  }

  /** throws MIGRATION_DRIFT (exit 3) when an applied migration's file changed */
  checkDrift(): Promise<DriftReport> {
    return this.driftIn(this.knex);
  }

  /** holds the DB-session lock around fn (re-entrant); on SQLite each phase transaction is the lock */
  async withLock<T>(fn: () => Promise<T>): Promise<T> {
    if (this.lockDepth > 0) return fn();
    return withSessionLock(this.knex, this.dialect, this.lockTimeoutMs, async () => {
      this.lockDepth++;
      try {
        return await fn();
      } finally {
        this.lockDepth--;
      }
    });
  }

  /** applies the pending migrations of a phase; returns their names (none: a no-op) */
  async up(phase: MigrationPhase): Promise<string[]> {
    if (!PHASES.includes(phase)) throw usageError('MIGRATION_PHASE', `"${phase}" is not a migration phase.`, 'use pre, main or post');
    return this.withLock(async () => {
      await this.ensureTable();
      return hasTransactionalDdl(this.dialect) ? this.upInOneTransaction(phase) : this.upOneByOne(phase);
    });
  }

  /** reverts the named migrations, newest first; names not applied are skipped; returns the names reverted */
  async down(names: string[]): Promise<string[]> {
    const targets = names.map((n) => this.migrations.find((m) => m.name === n) ?? notInBundle(n)).reverse();
    return this.withLock(async () => {
      await this.ensureTable();
      if (hasTransactionalDdl(this.dialect)) {
        return this.inTransaction(async (trx, state) => this.revert(trx, await this.appliedOf(trx, targets), state));
      }
      await this.recover();
      const list = await this.appliedOf(this.knex, targets);
      await this.loadReversible(list);
      const done: string[] = [];
      for (const m of list) {
        await this.inTransaction((trx, state) => this.revert(trx, [m], state), list.slice(list.indexOf(m)));
        done.push(m.name);
      }
      return done;
    });
  }

  private async upInOneTransaction(phase: MigrationPhase): Promise<string[]> {
    const state: RunState = { applied: [] };
    try {
      return await this.knex.transaction(async (trx) => {
        if (this.dialect === 'sqlite') await sqliteWriteLock(trx, MIGRATION_TABLE, this.lockTimeoutMs);
        await this.driftIn(trx);
        const todo = await this.pendingIn(trx, phase);
        await this.umzug(trx, todo, await this.loadAll(todo), state).up();
        return todo.map((m) => m.name);
      });
    } catch (e) {
      for (const m of [...state.applied].reverse()) this.event(m, 'down', 0, { detail: 'rolled back with the phase transaction' });
      throw phaseFailed(e, phase, state);
    }
  }

  private async upOneByOne(phase: MigrationPhase): Promise<string[]> {
    await this.recover();
    await this.driftIn(this.knex);
    const todo = await this.pendingIn(this.knex, phase);
    const loaded = await this.loadAll(todo);
    const state: RunState = { applied: [] };
    for (const m of todo) {
      const before = await schemaFingerprint(this.knex);
      await markInflight(this.knex, m.name, await this.checksum(m), hashSchema(before));
      try {
        await this.knex.transaction((trx) => this.umzug(trx, [m], loaded, state).up());
      } catch (e) {
        await this.undoPartial(m, loaded, before, e, phase, state);
        await clearInflight(this.knex, m.name);
        const undo = [...state.applied].reverse();
        for (const done of undo) {
          try {
            await this.knex.transaction((trx) => this.umzug(trx, [done], loaded, { applied: [] }).down({ migrations: [done.name] }));
          } catch (u) {
            throw undoFailed(
              e,
              u,
              phase,
              state,
              undo.slice(undo.indexOf(done)).map((x) => x.name),
            );
          }
        }
        throw phaseFailed(e, phase, state);
      }
    }
    return todo.map((m) => m.name);
  }

  /** the failed migration's own down, when its committed DDL changed the schema (see partial.ts) */
  private async undoPartial(m: MigrationFile, loaded: Map<string, LoadedMigration>, before: string, e: unknown, phase: MigrationPhase, state: RunState) {
    if ((await schemaFingerprint(this.knex)) === before) return;
    const down = loaded.get(m.name)?.down;
    if (!down) throw undoFailed(e, new Error(`${m.name} changed the schema before failing and has no down step`), phase, state, [m.name]);
    try {
      await down(this.knex);
      this.event(m, 'down', 0, { detail: 'undid the part of the failed migration that MariaDB had committed' });
    } catch (u) {
      throw undoFailed(e, u, phase, state, [m.name, ...state.applied.map((x) => x.name)]);
    }
  }

  /** MariaDB: undoes what a killed run committed of a migration it had not recorded (recover.ts) */
  private recover(): Promise<void> {
    return recoverInflight({
      knex: this.knex,
      find: (name) => this.migrations.find((m) => m.name === name),
      load: async (m) => loadMigration(m, await this.checksum(m), this.dialect),
      undone: (m) => this.event(m, 'down', 0, { detail: 'undid the part of an interrupted migration that MariaDB had committed' }),
    });
  }

  /** loads the migrations to revert; refuses before any change when one has no down step */
  private async loadReversible(list: MigrationFile[]): Promise<Map<string, LoadedMigration>> {
    const loaded = await this.loadAll(list);
    const irreversible = list.find((m) => !loaded.get(m.name)?.down);
    if (irreversible) throw irreversibleError(irreversible.name);
    return loaded;
  }

  private async revert(trx: Knex.Transaction, list: MigrationFile[], state: RunState): Promise<string[]> {
    const loaded = await this.loadReversible(list);
    if (list.length) await this.umzug(trx, list, loaded, state).down({ migrations: list.map((m) => m.name) });
    return list.map((m) => m.name);
  }

  /** a down in a transaction; failures become MIGRATION_DOWN_FAILED naming what is still applied */
  private async inTransaction<T>(fn: (trx: Knex.Transaction, state: RunState) => Promise<T>, remaining?: MigrationFile[]): Promise<T> {
    const state: RunState = { applied: [] };
    try {
      return await this.knex.transaction(async (trx) => {
        if (this.dialect === 'sqlite') await sqliteWriteLock(trx, MIGRATION_TABLE, this.lockTimeoutMs);
        return fn(trx, state);
      });
    } catch (e) {
      throw downFailed(
        e,
        state,
        remaining?.map((m) => m.name),
      );
    }
  }

  private umzug(ctx: Knex, list: MigrationFile[], loaded: Map<string, LoadedMigration>, state: RunState) {
    return migrationUmzug(ctx, list, {
      loaded,
      state,
      event: (m, status, ms) => this.event(m, status, ms),
      record: (name) => {
        const m = this.migrations.find((x) => x.name === name)!;
        return { version: m.version, phase: m.phase, checksum: this.sums.get(name)!, inflight: !hasTransactionalDdl(this.dialect) };
      },
    });
  }

  private async loadAll(list: MigrationFile[]): Promise<Map<string, LoadedMigration>> {
    const out = new Map<string, LoadedMigration>();
    for (const m of list) out.set(m.name, await loadMigration(m, await this.checksum(m), this.dialect));
    return out;
  }

  private async pendingIn(ctx: Knex, phase?: MigrationPhase): Promise<MigrationFile[]> {
    const done = new Set((await readApplied(ctx)).map((a) => a.name));
    return this.migrations.filter((m) => !done.has(m.name) && (!phase || m.phase === phase));
  }

  private async appliedOf(ctx: Knex, targets: MigrationFile[]): Promise<MigrationFile[]> {
    const done = new Set((await readApplied(ctx)).map((a) => a.name));
    return targets.filter((m) => done.has(m.name));
  }

  private async driftIn(ctx: Knex): Promise<DriftReport> {
    const report = await findDrift(await readApplied(ctx), this.migrations, (m) => this.checksum(m));
    if (report.notInBundle.length && !this.toldNotInBundle) {
      this.toldNotInBundle = true;
      this.emit({
        type: 'drift-unchecked',
        count: report.notInBundle.length,
        message: `${report.notInBundle.length} applied migration(s) of earlier versions are not in this bundle; their files cannot be checked for drift`,
      });
    }
    return report;
  }

  /** SQLite: creating the table needs the write lock another run may hold */
  private async ensureTable(): Promise<void> {
    try {
      await ensureMigrationTable(this.knex);
      if (!hasTransactionalDdl(this.dialect)) await ensureInflightTable(this.knex);
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_BUSY') throw lockedError(this.knex, this.lockTimeoutMs);
      throw e;
    }
  }

  private event(m: MigrationFile, status: MigrationStatus, ms: number, extra: Record<string, unknown> = {}) {
    this.emit({ type: 'migration', name: m.name, phase: m.phase, status, ms, ...extra });
  }
}
