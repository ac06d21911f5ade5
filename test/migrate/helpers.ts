/**
 * A fresh, empty database per test on each dialect (SQLite file in a temp root,
 * a random PostgreSQL schema, a random MariaDB database), fixture migration
 * folders, and a schema snapshot to compare before/after.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import knexFactory, { type Knex } from 'knex';
import { openDatabase, type DbClient, type DbValues } from '../../src/drivers/db/connect.js';
import type { MigrationFile } from '../../src/migrate/types.js';
import { MYSQL, PG } from '../helpers/services.js';

export interface TestDb {
  dialect: DbClient;
  db: DbValues;
  root: string;
  /** a new knex on the same database (a separate pool and session) */
  open(): Knex;
  drop(): Promise<void>;
}

export async function createTestDb(dialect: DbClient): Promise<TestDb> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'uphop-migrate-'));
  const name = `uphop_t_${randomBytes(5).toString('hex')}`;
  const opened: Knex[] = [];
  let db: DbValues;
  let cleanup = async () => {};
  if (dialect === 'sqlite') {
    db = { client: 'sqlite', connection: { filename: 'var/lib/beacon/beacon.db' } };
  } else if (dialect === 'pg') {
    const admin = knexFactory({ client: 'pg', connection: PG, pool: { min: 0, max: 1 } });
    await admin.raw(`create schema ${name}`);
    db = { client: 'pg', connection: { ...PG, schema: name } };
    cleanup = async () => {
      await admin.raw(`drop schema ${name} cascade`);
      await admin.destroy();
    };
  } else {
    const admin = knexFactory({ client: 'mysql2', connection: MYSQL, pool: { min: 0, max: 1 } });
    await admin.raw(`create database ${name}`);
    db = { client: 'mysql', connection: { ...MYSQL, database: name } };
    cleanup = async () => {
      await admin.raw(`drop database ${name}`);
      await admin.destroy();
    };
  }
  return {
    dialect,
    db,
    root,
    open() {
      const k = openDatabase(db, { root });
      opened.push(k);
      return k;
    },
    async drop() {
      await Promise.all(opened.map((k) => k.destroy()));
      await cleanup();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** writes <dir>/<version>/<file> and returns them as the installer would pass them */
export function writeMigrations(dir: string, files: Record<string, string>): MigrationFile[] {
  return Object.entries(files).map(([rel, text]) => {
    const file = path.join(dir, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
    const [version, base] = rel.split('/');
    const phase = /\.pre\.\w+$/.test(base) ? 'pre' : /\.post\.\w+$/.test(base) ? 'post' : 'main';
    return { version, name: rel, file, phase } as MigrationFile;
  });
}

export async function tableNames(knex: Knex, dialect: DbClient): Promise<string[]> {
  const sql = {
    sqlite: `select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`,
    pg: `select table_name as name from information_schema.tables where table_schema = current_schema()`,
    mysql: `select table_name as name from information_schema.tables where table_schema = database()`,
  }[dialect];
  const res = await knex.raw(sql);
  const rows: Array<{ name: string }> = dialect === 'sqlite' ? res : dialect === 'pg' ? res.rows : res[0];
  return rows.map((r) => r.name).sort();
}

/** every table with its columns, and the migration records: what "as before" means */
export async function snapshot(knex: Knex, dialect: DbClient) {
  const tables: Record<string, string[]> = {};
  for (const t of await tableNames(knex, dialect)) tables[t] = Object.keys(await knex(t).columnInfo()).sort();
  const records = tables.uphop_migrations ? await knex('uphop_migrations').select('name', 'checksum').orderBy('name') : [];
  return { tables, records };
}

export const DIALECTS: DbClient[] = ['sqlite', 'pg', 'mysql'];
