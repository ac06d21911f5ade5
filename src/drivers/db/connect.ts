/**
 * Site DB values (docs/values.md `db:`) to a knex instance. The password never
 * leaves this module in a message: describe*() is what logs and errors show.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { refusal, usageError, messageOf } from '../../errors.js';

export type DbClient = 'sqlite' | 'pg' | 'mysql';

export interface DbConnectionValues {
  /** sqlite: relative to the manager root (an absolute path is taken under the root too) */
  filename?: string;
  host?: string;
  port?: number | string;
  user?: string;
  password?: string;
  database?: string;
  /** postgres://… or mysql://… instead of the fields above */
  url?: string;
  /** pg only: the schema uphop and the product live in (knex searchPath) */
  schema?: string;
}

export interface DbValues {
  client?: DbClient;
  connection?: DbConnectionValues;
}

export interface OpenOptions {
  /** the manager root the sqlite filename is relative to */
  root: string;
  /** better-sqlite3's .node file, shipped beside the bundled installer */
  nativeBinding?: string;
}

interface ServerConnection {
  host: string;
  port: number;
  user?: string;
  password?: string;
  database?: string;
}

const DEFAULT_PORT = { pg: 5432, mysql: 3306 } as const;

// knex logs connection errors and deprecations to the console; core never prints,
// and the same errors reach the caller as thrown errors anyway
const quiet = () => {};
const log = { warn: quiet, error: quiet, deprecate: quiet, debug: quiet };

function serverConnection(client: 'pg' | 'mysql', c: DbConnectionValues): ServerConnection {
  if (c.url) {
    let u: URL;
    try {
      u = new URL(c.url);
    } catch {
      throw usageError('DB_CONFIG_INVALID', 'db.connection.url is not a valid URL', `write it as ${client === 'pg' ? 'postgres' : 'mysql'}://user:password@host:port/database`);
    }
    return {
      host: decodeURIComponent(u.hostname) || '127.0.0.1',
      port: u.port ? Number(u.port) : DEFAULT_PORT[client],
      user: u.username ? decodeURIComponent(u.username) : undefined,
      password: u.password ? decodeURIComponent(u.password) : undefined,
      database: u.pathname.length > 1 ? decodeURIComponent(u.pathname.slice(1)) : undefined,
    };
  }
  return { host: c.host ?? '127.0.0.1', port: c.port === undefined ? DEFAULT_PORT[client] : Number(c.port), user: c.user, password: c.password, database: c.database };
}

/** the sqlite file on disk: under the root, never outside it */
export function sqliteFile(db: DbValues, root: string): string {
  const filename = db.connection?.filename;
  if (!filename)
    throw usageError('DB_CONFIG_INVALID', 'db.connection.filename is missing for the sqlite client', 'set db.connection.filename, e.g. var/lib/acme/acme.db (relative to the manager root)');
  if (filename === ':memory:') return filename;
  const base = path.resolve(root);
  const file = path.resolve(base, '.' + path.sep + filename.replace(/^\/+/, ''));
  if (file !== base && !file.startsWith(base + path.sep)) {
    throw usageError('DB_CONFIG_INVALID', `db.connection.filename "${filename}" points outside the manager root`, 'use a path under the manager root without ".."');
  }
  return file;
}

export function openDatabase(db: DbValues, opts: OpenOptions): Knex {
  const client = db.client ?? 'sqlite';
  const c = db.connection ?? {};
  if (client === 'sqlite') {
    const filename = sqliteFile(db, opts.root);
    if (filename !== ':memory:') mkdirSync(path.dirname(filename), { recursive: true });
    return knexFactory({
      client: 'better-sqlite3',
      connection: { filename, options: opts.nativeBinding ? { nativeBinding: opts.nativeBinding } : {} },
      useNullAsDefault: true,
      log,
    });
  }
  if (client !== 'pg' && client !== 'mysql') {
    throw usageError('DB_CONFIG_INVALID', `db.client "${String(client)}" is not supported`, 'use sqlite, pg or mysql');
  }
  const s = serverConnection(client, c);
  const pool = { min: 0, max: 4 };
  if (client === 'pg') {
    return knexFactory({
      client: 'pg',
      connection: { ...s, connectionTimeoutMillis: 10_000 },
      searchPath: c.schema ? [c.schema] : undefined,
      pool,
      acquireConnectionTimeout: 15_000,
      log,
    });
  }
  return knexFactory({
    client: 'mysql2',
    // SQL migration files run each section as one multi-statement query
    connection: { ...s, multipleStatements: true, charset: 'utf8mb4', connectTimeout: 10_000 },
    pool,
    acquireConnectionTimeout: 15_000,
    log,
  });
}

/** "pg postgres@127.0.0.1:5432/test" — for logs and errors: never the password */
export function describeDatabase(db: DbValues, root?: string): string {
  const client = db.client ?? 'sqlite';
  if (client === 'sqlite') {
    const f = db.connection?.filename ?? '(no filename)';
    return `sqlite ${root ? safe(() => sqliteFile(db, root), f) : f}`;
  }
  const s = safe(() => serverConnection(client, db.connection ?? {}), undefined);
  if (!s) return `${client} (invalid url)`;
  const schema = client === 'pg' && db.connection?.schema ? ` schema ${db.connection.schema}` : '';
  return `${client} ${s.user ? s.user + '@' : ''}${s.host}:${s.port}/${s.database ?? ''}${schema}`;
}

const safe = <T, F>(f: () => T, fallback: F): T | F => {
  try {
    return f();
  } catch {
    return fallback;
  }
};

/** the same description, from an open knex (what the runner and checkReachable have) */
export function describeKnex(knex: Knex): string {
  const cfg = knex.client.config as Knex.Config;
  const conn = (cfg.connection ?? {}) as Record<string, unknown>;
  const client = String(cfg.client);
  if (client === 'better-sqlite3') return `sqlite ${String(conn.filename)}`;
  const name = client === 'mysql2' ? 'mysql' : client;
  const sp = (cfg as { searchPath?: string[] }).searchPath;
  const schema = name === 'pg' && sp?.length ? ` schema ${sp[0]}` : '';
  return `${name} ${conn.user ? `${String(conn.user)}@` : ''}${String(conn.host)}:${String(conn.port)}/${String(conn.database ?? '')}${schema}`;
}

/** one round trip; a refusal that says where we tried, never with what password */
export async function checkReachable(knex: Knex): Promise<void> {
  try {
    await knex.raw('select 1');
  } catch (e) {
    throw refusal(
      'DB_UNREACHABLE',
      `Cannot reach the database ${describeKnex(knex)}: ${redact(messageOf(e), knex)}.`,
      'check that the database server runs and that db.connection in etc/<product>/values.yaml (host, port, user, password, database) is right',
    );
  }
}

/** a PostgreSQL schema named in db.connection.schema must exist: the product's tables and uphop's live there, and pg_dump -n of a missing one fails mid-install */
export async function checkPgSchema(knex: Knex, schema: string): Promise<void> {
  const found = await knex.raw('select 1 from pg_namespace where nspname = ?', [schema]);
  if (!found.rows?.length) {
    throw refusal(
      'DB_SCHEMA_MISSING',
      `The PostgreSQL schema "${schema}" (db.connection.schema) does not exist in ${describeKnex(knex)}.`,
      `create it (CREATE SCHEMA "${schema}";) as a user the manager's database user may use, or fix db.connection.schema in the site values`,
    );
  }
}

/** drivers sometimes echo the connection string; make sure the password is not in it */
function redact(message: string, knex: Knex): string {
  const pw = ((knex.client.config as Knex.Config).connection as { password?: string } | undefined)?.password;
  return pw ? message.split(pw).join('***') : message;
}
