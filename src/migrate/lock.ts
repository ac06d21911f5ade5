/**
 * The migration lock lives in the database session, not in a row: PostgreSQL
 * advisory lock / MariaDB GET_LOCK on a dedicated pooled connection, so a killed
 * process never leaves a stale lock (the server drops it with the session).
 * SQLite has no such thing: there the lock is the write lock the phase
 * transaction takes first (see sqliteWriteLock), which dies with the process too.
 */
import type { Knex } from 'knex';
import { describeKnex } from '../drivers/db/connect.js';
import type { DbClient } from '../drivers/db/connect.js';
import { refusal, messageOf } from '../errors.js';

/** 'uphp' as int4: the advisory lock class; the schema's hash is the object id (one lock per schema) */
const PG_LOCK_CLASS = 0x75706870;
const PG_KEY = `${PG_LOCK_CLASS}, hashtext(coalesce(current_schema(), ''))`;
// GET_LOCK is server-wide: scope it to the database, names are capped at 64 chars
const MYSQL_NAME = `left(concat('uphop:', coalesce(database(), '')), 64)`;
const POLL_MS = 200;

const SQL = {
  pg: { take: `select pg_try_advisory_lock(${PG_KEY}) as ok`, give: `select pg_advisory_unlock(${PG_KEY}) as ok` },
  mysql: { take: `select get_lock(${MYSQL_NAME}, 0) as ok`, give: `select release_lock(${MYSQL_NAME}) as ok` },
} as const;

export const lockedError = (knex: Knex, timeoutMs: number) =>
  refusal(
    'DB_LOCKED',
    `Another uphop run holds the migration lock on ${describeKnex(knex)} (waited ${Math.round(timeoutMs / 100) / 10}s).`,
    'wait for the other install to finish, then run again; a killed run releases the lock by itself when its database session ends',
  );

function firstValue(dialect: DbClient, result: unknown): unknown {
  const rows = dialect === 'pg' ? (result as { rows: Array<{ ok: unknown }> }).rows : (result as [Array<{ ok: unknown }>])[0];
  return rows[0]?.ok;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** runs fn while holding the lock (pg, mysql); for sqlite fn runs as is */
export async function withSessionLock<T>(knex: Knex, dialect: DbClient, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  if (dialect === 'sqlite') return fn();
  const sql = SQL[dialect];
  const conn = await knex.client.acquireConnection();
  let held = false;
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ok = firstValue(dialect, await knex.raw(sql.take).connection(conn));
      if (ok === true || Number(ok) === 1) break;
      if (Date.now() >= deadline) throw lockedError(knex, timeoutMs);
      await sleep(POLL_MS);
    }
    held = true;
    return await fn();
  } finally {
    if (held) {
      try {
        await knex.raw(sql.give).connection(conn);
      } catch (e) {
        // never hand a connection that may still hold the lock back to the pool
        (conn as { __knex__disposed?: unknown }).__knex__disposed = new Error(`lock release failed: ${messageOf(e)}`);
      }
    }
    await knex.client.releaseConnection(conn);
  }
}

/**
 * SQLite: knex opens transactions with a deferred BEGIN, so the first statement
 * must be a write to take the RESERVED lock at once; as the first statement it
 * waits up to busy_timeout (a later upgrade from a read would fail at once).
 */
export async function sqliteWriteLock(trx: Knex.Transaction, table: string, timeoutMs: number): Promise<void> {
  await trx.raw(`pragma busy_timeout = ${Math.max(0, Math.floor(timeoutMs))}`);
  try {
    await trx.raw(`delete from ${table} where 0`);
  } catch (e) {
    if ((e as { code?: string }).code === 'SQLITE_BUSY') throw lockedError(trx, timeoutMs);
    throw e;
  }
}
