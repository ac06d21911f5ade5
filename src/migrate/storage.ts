/**
 * Umzug storage backed by the table uphop_migrations (name PK, version, checksum,
 * phase, applied_at). Every call uses the context it is given, so the record of a
 * migration commits or rolls back with the migration's own transaction.
 */
import type { Knex } from 'knex';
import type { UmzugStorage } from 'umzug';
import { INFLIGHT_TABLE } from './inflight.js';
import type { AppliedMigration } from './types.js';

export const MIGRATION_TABLE = 'uphop_migrations';

export interface MigrationRecord {
  version: string;
  checksum: string;
  phase: string;
  /** MariaDB: also delete the migration's in-flight marker (inflight.ts), in the same context as the record */
  inflight?: boolean;
}

/**
 * Plain CREATE TABLE IF NOT EXISTS (knex's createTableIfNotExists prints a
 * deprecation notice): the same SQL is valid on SQLite, PostgreSQL and MariaDB.
 * applied_at is ISO-8601 text: the same on every dialect, readable in any SQL shell.
 */
export async function ensureMigrationTable(ctx: Knex): Promise<void> {
  await ctx.raw(`create table if not exists ${MIGRATION_TABLE} (
  name varchar(255) not null primary key,
  version varchar(64) not null,
  checksum varchar(64) not null,
  phase varchar(8) not null,
  applied_at varchar(32) not null
)`);
}

/** the applied migrations, in the order they were applied; none when the table does not exist yet */
export async function readApplied(ctx: Knex): Promise<AppliedMigration[]> {
  if (!(await ctx.schema.hasTable(MIGRATION_TABLE))) return [];
  const rows: Array<{ name: string; version: string; checksum: string; phase: string; applied_at: string }> = await ctx(MIGRATION_TABLE)
    .select('name', 'version', 'checksum', 'phase', 'applied_at')
    .orderBy([{ column: 'applied_at' }, { column: 'name' }]);
  return rows.map((r) => ({ name: r.name, version: r.version, checksum: r.checksum, phase: r.phase, appliedAt: r.applied_at }));
}

/** `record(name)` gives what to store for a migration being logged */
export function migrationStorage(record: (name: string) => MigrationRecord): UmzugStorage<Knex> {
  return {
    async logMigration({ name, context }) {
      const r = record(name);
      await context(MIGRATION_TABLE).insert({ name, version: r.version, checksum: r.checksum, phase: r.phase, applied_at: new Date().toISOString() });
      if (r.inflight) await context(INFLIGHT_TABLE).where({ name }).delete();
    },
    async unlogMigration({ name, context }) {
      await context(MIGRATION_TABLE).where({ name }).delete();
    },
    async executed({ context }) {
      return (await readApplied(context)).map((a) => a.name);
    },
  };
}
