/**
 * Opens the product database with knex from the `db` section of the config
 * (the site values' `db`, rendered as JSON): client sqlite | pg | mysql.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import knexFactory from 'knex';

const CLIENTS = { sqlite: 'better-sqlite3', pg: 'pg', postgres: 'pg', postgresql: 'pg', mysql: 'mysql2', mariadb: 'mysql2' };

/**
 * The packed program carries better_sqlite3.node beside itself (no node_modules);
 * run from source, better-sqlite3 finds its own addon.
 */
function nativeBinding() {
  const beside = path.join(path.dirname(fileURLToPath(import.meta.url)), 'better_sqlite3.node');
  return existsSync(beside) ? beside : undefined;
}

/** knex configuration for a `db` section; sqlite filenames are relative to the manager root */
export function knexConfig(db = {}, root = '/') {
  const client = CLIENTS[db.client ?? 'sqlite'];
  if (!client) throw new Error(`db.client must be sqlite, pg or mysql, got ${JSON.stringify(db.client)}`);
  const conn = db.connection ?? {};
  if (client === 'better-sqlite3') {
    const filename = path.resolve(root, conn.filename ?? 'var/lib/beacon/beacon.db');
    mkdirSync(path.dirname(filename), { recursive: true });
    return { client, useNullAsDefault: true, connection: { filename, options: { nativeBinding: nativeBinding() } }, pool: { min: 1, max: 1 } };
  }
  // pg schema: db.connection.schema as in docs/values.md (db.schema / db.searchPath still accepted)
  const { url, schema, ...rest } = conn;
  const config = { client, connection: url ?? rest, pool: { min: 0, max: 5 }, acquireConnectionTimeout: 5000 };
  const searchPath = db.searchPath ?? db.schema ?? schema;
  if (client === 'pg' && searchPath) config.searchPath = searchPath;
  return config;
}

export const openDb = (db, root) => knexFactory(knexConfig(db, root));

/** what may be logged about the database: never the password */
export function describeDb(db = {}) {
  const c = db.connection ?? {};
  if ((db.client ?? 'sqlite') === 'sqlite') return { client: 'sqlite', filename: c.filename };
  return { client: db.client, host: c.url ? '(url)' : c.host, database: c.database };
}

/** inserts one row and returns its new id on every dialect (MySQL has no RETURNING) */
export async function insertReturningId(knex, table, row) {
  const mysql = knex.client.config.client === 'mysql2';
  const [res] = mysql ? await knex(table).insert(row) : await knex(table).insert(row, ['id']);
  return Number(typeof res === 'object' ? res.id : res);
}
