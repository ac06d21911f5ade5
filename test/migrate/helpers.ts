/**
 * A fresh, empty database per test on each dialect (SQLite file in a temp root,
 * a random PostgreSQL schema, a random MariaDB database), fixture migration
 * folders, a schema snapshot to compare before/after, and the runner in a child
 * process (to kill it mid-migration).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import knexFactory, { type Knex } from 'knex';
import { afterAll, beforeAll } from 'vitest';
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

export interface PhaseChild {
  child: ChildProcess;
  /** what the child wrote to stderr so far */
  stderr(): string;
  /** the signal that ended it (null on a plain exit) */
  exited: Promise<NodeJS.Signals | null>;
}

/**
 * Call at a test file's top level: bundles fixtures/run-phase.ts once (the child runs the
 * real runner code; packages resolve through a node_modules link) and returns a function
 * that starts it on one phase.
 */
export function usePhaseChild(): (input: { db: DbValues; root: string; migrations: MigrationFile[]; phase: 'pre' | 'main' | 'post' }, env?: NodeJS.ProcessEnv) => PhaseChild {
  const project = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  let childDir: string | undefined;
  let childScript: string;
  beforeAll(async () => {
    childDir = mkdtempSync(path.join(os.tmpdir(), 'uphop-migrate-child-'));
    symlinkSync(path.join(project, 'node_modules'), path.join(childDir, 'node_modules'));
    childScript = path.join(childDir, 'run-phase.mjs');
    await build({
      entryPoints: [path.join(project, 'test/migrate/fixtures/run-phase.ts')],
      outfile: childScript,
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      logLevel: 'error',
    });
  });
  afterAll(() => {
    if (childDir) rmSync(childDir, { recursive: true, force: true });
  });
  return (input, env = process.env) => {
    let stderr = '';
    const child = spawn(process.execPath, [childScript, JSON.stringify(input)], { stdio: ['ignore', 'ignore', 'pipe'], env });
    child.stderr!.on('data', (d) => (stderr += d));
    const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_code, signal) => r(signal)));
    return { child, stderr: () => stderr, exited };
  };
}
