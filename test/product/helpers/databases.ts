/**
 * A fresh, empty database per test on each dialect: a temp SQLite file, a random
 * PostgreSQL schema (reached through searchPath), a random MariaDB database.
 * `db` is the `db` section of the site values / config, as the product reads it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import knexFactory, { type Knex } from 'knex';
import { PG, MYSQL } from '../../helpers/services.js';
// @ts-expect-error plain ESM module of the product, no types
import { knexConfig } from '../../../product/lib/db.mjs';

export type Dialect = 'sqlite' | 'pg' | 'mysql';

export interface FreshDb {
  dialect: Dialect;
  db: Record<string, unknown>;
  knex: Knex;
  drop(): Promise<void>;
}

export async function freshDb(dialect: Dialect): Promise<FreshDb> {
  const name = `beacon_test_${randomBytes(5).toString('hex')}`;
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'beacon-db-'));
    const db = { client: 'sqlite', connection: { filename: path.join(dir, 'beacon.db') } };
    const knex = knexFactory(knexConfig(db, '/'));
    return {
      dialect,
      db,
      knex,
      drop: async () => {
        await knex.destroy();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const adminConfig = dialect === 'pg' ? { client: 'pg', connection: PG } : { client: 'mysql2', connection: MYSQL };
  const admin = knexFactory(adminConfig);
  await admin.raw(dialect === 'pg' ? `create schema ${name}` : `create database ${name}`);
  const db = dialect === 'pg' ? { client: 'pg', connection: { ...PG }, searchPath: name } : { client: 'mysql', connection: { ...MYSQL, database: name } };
  const knex = knexFactory(knexConfig(db, '/'));
  return {
    dialect,
    db,
    knex,
    drop: async () => {
      await knex.destroy();
      await admin.raw(dialect === 'pg' ? `drop schema ${name} cascade` : `drop database ${name}`);
      await admin.destroy();
    },
  };
}

/** tables and columns of the schema, to compare before/after (lower-cased, sorted) */
export async function describeSchema(knex: Knex, dialect: Dialect): Promise<Record<string, string[]>> {
  let rows: { table_name: string; column_name: string }[];
  if (dialect === 'sqlite') {
    const tables: { name: string }[] = await knex.raw("select name from sqlite_master where type = 'table' and name not like 'sqlite_%'");
    rows = [];
    for (const { name } of tables) {
      const cols: { name: string }[] = await knex.raw(`pragma table_info(${JSON.stringify(name)})`);
      rows.push(...cols.map((c) => ({ table_name: name, column_name: c.name })));
    }
  } else {
    const schemaExpr = dialect === 'pg' ? 'current_schema()' : 'database()';
    const res = await knex.raw(`select table_name as table_name, column_name as column_name from information_schema.columns where table_schema = ${schemaExpr}`);
    rows = dialect === 'pg' ? res.rows : res[0];
  }
  const out: Record<string, string[]> = {};
  for (const r of rows) {
    const t = String(r.table_name).toLowerCase();
    if (t === 'uphop_migrations') continue;
    (out[t] ??= []).push(String(r.column_name).toLowerCase());
  }
  for (const t of Object.keys(out)) out[t].sort();
  return out;
}

/** index names per table (SQLite and the server dialects), excluding primary keys */
export async function describeIndexes(knex: Knex, dialect: Dialect): Promise<string[]> {
  if (dialect === 'sqlite') {
    const rows: { name: string }[] = await knex.raw("select name from sqlite_master where type = 'index' and name not like 'sqlite_%'");
    return rows.map((r) => r.name).sort();
  }
  if (dialect === 'pg') {
    const res = await knex.raw("select indexname as name from pg_indexes where schemaname = current_schema() and indexname not like '%_pkey'");
    return res.rows.map((r: { name: string }) => r.name).sort();
  }
  const res = await knex.raw("select distinct index_name as name from information_schema.statistics where table_schema = database() and index_name <> 'PRIMARY'");
  return res[0].map((r: { name: string }) => r.name).sort();
}
