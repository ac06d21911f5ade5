/**
 * MariaDB "in flight" markers: a row in uphop_migrations_inflight, committed
 * before a migration's up starts and deleted right after its record is written.
 * MariaDB commits DDL at once, so a run killed between the DDL and the record
 * leaves the schema changed and the migration unrecorded; the marker (with a
 * hash of the schema before the up) is how the next run finds that residue.
 * A side table, not a state in uphop_migrations, so drift checks, pending() and
 * listings keep reading only migrations that really are applied.
 */
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';

export const INFLIGHT_TABLE = 'uphop_migrations_inflight';

export interface InflightMarker {
  name: string;
  checksum: string;
  /** sha256 of schemaFingerprint() just before the up began */
  schema_before: string;
}

export async function ensureInflightTable(ctx: Knex): Promise<void> {
  await ctx.raw(`create table if not exists ${INFLIGHT_TABLE} (
  name varchar(255) not null primary key,
  checksum varchar(64) not null,
  schema_before varchar(64) not null,
  started_at varchar(32) not null
)`);
}

/** sha256 of a schemaFingerprint (partial.ts): markers stay small whatever the schema's size */
export const hashSchema = (fingerprint: string): string => createHash('sha256').update(fingerprint).digest('hex');

/** commits (autocommit, outside any transaction) before the up runs */
export async function markInflight(ctx: Knex, name: string, checksum: string, schemaBefore: string): Promise<void> {
  await ctx(INFLIGHT_TABLE).where({ name }).delete();
  await ctx(INFLIGHT_TABLE).insert({ name, checksum, schema_before: schemaBefore, started_at: new Date().toISOString() });
}

export async function clearInflight(ctx: Knex, name: string): Promise<void> {
  if (await ctx.schema.hasTable(INFLIGHT_TABLE)) await ctx(INFLIGHT_TABLE).where({ name }).delete();
}

/** newest first: the order their residue must be undone in */
export async function readInflight(ctx: Knex): Promise<InflightMarker[]> {
  if (!(await ctx.schema.hasTable(INFLIGHT_TABLE))) return [];
  return ctx(INFLIGHT_TABLE)
    .select('name', 'checksum', 'schema_before')
    .orderBy([
      { column: 'started_at', order: 'desc' },
      { column: 'name', order: 'desc' },
    ]);
}
