/** Which SQL dialect an open knex speaks: the runner's lock and transaction strategy depend on it. */
import type { Knex } from 'knex';
import type { DbClient } from './connect.js';

export function dialectOf(knex: Knex): DbClient {
  const client = String((knex.client.config as Knex.Config).client);
  if (client === 'better-sqlite3' || client === 'sqlite3') return 'sqlite';
  if (client === 'pg' || client === 'postgres' || client === 'postgresql') return 'pg';
  if (client === 'mysql2' || client === 'mysql') return 'mysql';
  throw new Error(`unsupported knex client ${client}`);
}

/** DDL inside a transaction is rolled back with it (not so on MySQL/MariaDB: DDL commits implicitly) */
export const hasTransactionalDdl = (d: DbClient) => d !== 'mysql';
