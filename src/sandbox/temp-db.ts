/**
 * A database of its own for a sandbox manager: a SQLite file under its root, a
 * fresh PostgreSQL schema, or a fresh MariaDB database, created on the server the
 * given connection reaches and dropped afterwards. Names are random, so parallel
 * runs never meet.
 */
import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import type { DbConnectionValues, DbValues } from '../drivers/db/connect.js';
import { failure, messageOf, usageError } from '../errors.js';

export type SandboxDb = 'sqlite' | 'postgres' | 'mysql';

export interface TempDb {
  /** the `db` section of the sandbox's values */
  values: DbValues;
  /** what to show: client and name, never a password */
  label: string;
  drop(): Promise<void>;
}

const quiet = { warn() {}, error() {}, deprecate() {}, debug() {} };

export const DEFAULT_URLS = { postgres: 'postgres://postgres@127.0.0.1:5432/test', mysql: 'mysql://root@127.0.0.1:3306/test' } as const;

export function serverOf(url: string): DbConnectionValues {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw usageError('DB_URL_INVALID', `"${url.replace(/:[^:@/]*@/, ':***@')}" is not a database URL.`, 'write it as postgres://user:password@host:port/database or mysql://user:password@host:port');
  }
  return {
    host: decodeURIComponent(u.hostname) || '127.0.0.1',
    port: u.port ? Number(u.port) : undefined,
    user: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    database: u.pathname.length > 1 ? decodeURIComponent(u.pathname.slice(1)) : undefined,
  };
}

const clean = (c: DbConnectionValues) => Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)) as DbConnectionValues;

/** run DDL on the server as the given connection (the admin session of a temp db) */
export async function adminDo(client: 'pg' | 'mysql', c: DbConnectionValues, sql: string): Promise<void> {
  const k = knexFactory({
    client: client === 'pg' ? 'pg' : 'mysql2',
    connection: clean({ ...c, ...(client === 'mysql' && sql.startsWith('create database') ? { database: undefined } : {}) }) as never,
    log: quiet,
    pool: { min: 0, max: 1 },
  });
  try {
    await k.raw(sql);
  } finally {
    await k.destroy();
  }
}

export const tempName = (prefix: string) => `${prefix}_${randomBytes(5).toString('hex')}`;

export async function createTempDb(kind: SandboxDb, url?: string, sqliteFilename = 'var/lib/uphop-sandbox/sandbox.db'): Promise<TempDb> {
  if (kind === 'sqlite') return { values: { client: 'sqlite', connection: { filename: sqliteFilename } }, label: `sqlite ${sqliteFilename}`, drop: async () => {} };
  const server = clean(serverOf(url ?? DEFAULT_URLS[kind]));
  const name = tempName('uphop_tp');
  try {
    if (kind === 'postgres') {
      await adminDo('pg', server, `create schema ${name}`);
      return { values: { client: 'pg', connection: { ...server, schema: name } }, label: `postgres schema ${name}`, drop: () => adminDo('pg', server, `drop schema if exists ${name} cascade`) };
    }
    await adminDo('mysql', server, `create database ${name}`);
    return {
      values: { client: 'mysql', connection: { ...server, database: name } },
      label: `mysql database ${name}`,
      drop: () => adminDo('mysql', { ...server, database: undefined }, `drop database if exists ${name}`),
    };
  } catch (e) {
    throw failure(
      'SANDBOX_DB',
      `Cannot create a temporary ${kind} database on ${server.host}:${server.port ?? 'default port'}: ${messageOf(e).replace(server.password ?? '\0', '***')}.`,
      `Check --db-url (it needs the right to create a ${kind === 'postgres' ? 'schema' : 'database'}).`,
    );
  }
}
