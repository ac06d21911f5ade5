/**
 * The rehearsal's copy of the database, taken while the live manager serves:
 * SQLite by VACUUM INTO (a consistent online copy); PostgreSQL streamed
 * pg_dump | pg_restore into a temporary database; MariaDB streamed
 * mysqldump --single-transaction | mysql into a temporary database. Nothing is
 * written to the live database. Returns the copy's `db` values; the copy is dropped
 * by name (dropCopyDatabase), also when the copy itself fails half-way.
 */
import { spawn } from 'node:child_process';
import { dumpCommand, serverOf, toolAuth, toolEnv, type DbServer } from '../drivers/db/client-tools.js';
import { openDatabase, sqliteFile, type DbConnectionValues, type DbValues } from '../drivers/db/connect.js';
import { failure, messageOf } from '../errors.js';
import { adminDo, tempName } from '../sandbox/temp-db.js';

export interface DbCopy {
  /** undefined: the manager has no database */
  values?: DbValues;
  method: string;
}

/** the name of a rehearsal's database copy (known before it exists, so a leftover can be found) */
export const copyName = () => tempName('uphop_rehearse');

/** the copy's database on the live server: `name` is dropped (a leftover of a rehearsal that was killed) */
export async function dropCopyDatabase(db: DbValues, live: string, name: string): Promise<void> {
  const client = db.client ?? 'sqlite';
  if (client === 'sqlite' || !/^uphop_rehearse_[0-9a-f]+$/.test(name)) return;
  const knex = openDatabase(db, { root: live });
  const s = serverOf(knex);
  await knex.destroy();
  const admin: DbConnectionValues = { host: s.host, port: s.port, user: s.user, password: s.password, database: client === 'pg' ? s.database : undefined };
  await adminDo(client, admin, client === 'pg' ? `drop database if exists ${name} with (force)` : `drop database if exists ${name}`);
}

export async function copyDatabase(db: DbValues | undefined, live: string, copy: string, scrub: (t: string) => string, name = copyName()): Promise<DbCopy> {
  if (!db) return { method: 'none: the site values have no db' };
  const client = db.client ?? 'sqlite';
  const knex = openDatabase(db, { root: live });
  try {
    if (client === 'sqlite') {
      const target = sqliteFile(db, copy);
      await knex.raw('VACUUM INTO ?', [target]);
      return { values: db, method: 'sqlite VACUUM INTO' };
    }
    const s = serverOf(knex);
    const admin: DbConnectionValues = { host: s.host, port: s.port, user: s.user, password: s.password, database: s.database };
    const conn = { ...(db.connection ?? {}) };
    delete conn.url;
    const values: DbValues = { client, connection: { ...conn, host: s.host, port: s.port, user: s.user, password: s.password, database: name } };
    if (client === 'pg') {
      await createCopy('pg', admin, name, s, scrub);
      try {
        await pipe(dumpCommand('pg', s, { schema: db.connection?.schema }), ['pg_restore', '--no-owner', ...toolAuth('pg', s), '-d', name], toolEnv('pg', s), scrub);
      } catch (e) {
        await dropCopyDatabase(db, live, name).catch(() => undefined);
        throw e;
      }
      return { values, method: `pg_dump | pg_restore into database ${name}` };
    }
    await createCopy('mysql', { ...admin, database: undefined }, name, s, scrub);
    try {
      await pipe(dumpCommand('mysql', s), ['mysql', ...toolAuth('mysql', s), name], toolEnv('mysql', s), scrub);
    } catch (e) {
      await dropCopyDatabase(db, live, name).catch(() => undefined);
      throw e;
    }
    return { values, method: `mysqldump | mysql into database ${name}` };
  } finally {
    await knex.destroy();
  }
}

/** the empty database the copy goes into; a user without the right to create one is told so */
async function createCopy(client: 'pg' | 'mysql', admin: DbConnectionValues, name: string, s: DbServer, scrub: (t: string) => string): Promise<void> {
  try {
    await adminDo(client, admin, `create database ${name}`);
  } catch (e) {
    throw failure(
      'REHEARSE_DB_COPY_FAILED',
      `Cannot create the rehearsal's database ${name} on ${s.host}:${s.port} as ${s.user ?? 'the configured user'}: ${scrub(messageOf(e)).replace(/\.$/, '')}.`,
      client === 'pg'
        ? `Rehearse as a database user that may create databases (ALTER ROLE ${s.user ?? 'the_user'} CREATEDB), or ask the DBA for one; the live database is only read.`
        : `Rehearse as a database user that may create databases (GRANT CREATE, DROP ON *.* TO '${s.user ?? 'the_user'}'), or ask the DBA for one; the live database is only read.`,
    );
  }
}

/** a | b, streamed; fails with the stderr of whichever failed */
function pipe(a: string[], b: string[], env: Record<string, string>, scrub: (t: string) => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const opts = { env: { ...process.env, ...env } };
    const src = spawn(a[0], a.slice(1), { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    const dst = spawn(b[0], b.slice(1), { ...opts, stdio: ['pipe', 'ignore', 'pipe'] });
    let errA = '';
    let errB = '';
    src.stderr.on('data', (d) => (errA += d));
    dst.stderr.on('data', (d) => (errB += d));
    src.stdout.pipe(dst.stdin);
    dst.stdin.on('error', () => {});
    let pending = 2;
    const codes: (number | null)[] = [];
    const done = (i: number) => (code: number | null) => {
      codes[i] = code;
      if (--pending) return;
      if (codes[0] === 0 && codes[1] === 0) resolve();
      else
        reject(
          failure(
            'REHEARSE_DB_COPY_FAILED',
            `Copying the database failed: ${scrub((codes[0] ? `${a[0]}: ${errA}` : `${b[0]}: ${errB}`).trim().split('\n').slice(-3).join(' '))}.`,
            `Check that ${a[0]} and ${b[0]} are installed and that the database user may create databases.`,
          ),
        );
    };
    src.once('error', (e) => reject(failure('REHEARSE_DB_COPY_FAILED', `Cannot run ${a[0]}: ${e.message}.`, `Install ${a[0]} (the PostgreSQL/MariaDB client tools).`)));
    dst.once('error', (e) => reject(failure('REHEARSE_DB_COPY_FAILED', `Cannot run ${b[0]}: ${e.message}.`, `Install ${b[0]} (the PostgreSQL/MariaDB client tools).`)));
    src.once('close', done(0));
    dst.once('close', done(1));
  });
}
