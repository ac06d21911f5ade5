/**
 * Runs a section of an SQL migration (parsed by spec/sql.ts, the same rules the
 * builder checks). A section runs as one multi-statement script through the driver itself, not
 * knex.raw, so `?` in the SQL is never taken for a binding and no naive split on
 * `;` breaks a string literal or a trigger body.
 */
import type { Knex } from 'knex';
import type { DbClient } from '../drivers/db/connect.js';

const isBlank = (sql: string) => sql.split('\n').every((l) => l.trim() === '' || l.trim().startsWith('--'));

/** runs a section on the connection of `ctx` (a transaction or a plain knex) */
export async function runSqlSection(ctx: Knex, dialect: DbClient, sql: string): Promise<void> {
  if (isBlank(sql)) return;
  const conn = await ctx.client.acquireConnection();
  try {
    if (dialect === 'sqlite') (conn as { exec(sql: string): void }).exec(sql);
    else if (dialect === 'pg') await (conn as { query(sql: string): Promise<unknown> }).query(sql);
    else {
      // mysql2's callback API (what knex uses); multipleStatements is on (drivers/db/connect.ts)
      await new Promise<void>((resolve, reject) => (conn as { query(sql: string, cb: (err: Error | null) => void): void }).query(sql, (err) => (err ? reject(err) : resolve())));
    }
  } finally {
    await ctx.client.releaseConnection(conn);
  }
}
