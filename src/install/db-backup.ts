/**
 * A copy of the database taken before the first change, restored only when the
 * down migrations cannot undo a hop. SQLite: VACUUM INTO (a consistent online
 * copy); PostgreSQL: pg_dump -Fc / pg_restore; MariaDB: mysqldump / mysql, when
 * those tools are installed (else the downs are the only way back, and we say so).
 */
import { execFile, spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { pipeline } from 'node:stream/promises';
import { failure, messageOf } from '../errors.js';
import { dumpCommand, serverOf, toolAuth, toolEnv } from '../drivers/db/client-tools.js';
import { sqliteFile, type DbValues } from '../drivers/db/connect.js';
import type { InstallContext } from './context.js';
import { exists } from '../drivers/fsutil.js';

const run = promisify(execFile);

const dbValues = (ctx: InstallContext) => (ctx.values.db ?? {}) as DbValues;

export const backupFile = (ctx: InstallContext) => {
  const client = dbValues(ctx).client ?? 'sqlite';
  return path.join(ctx.L.backups(ctx.id), client === 'sqlite' ? 'db.sqlite' : client === 'pg' ? 'db.pgdump' : 'db.sql');
};

async function hasTool(name: string): Promise<boolean> {
  try {
    await run(name, ['--version']);
    return true;
  } catch {
    return false;
  }
}

/** returns a line for the report; never the password */
export async function backupDatabase(ctx: InstallContext): Promise<string> {
  // a product without a database (no db values, no migrations) has nothing to save, as preflight has nothing to reach
  if (!ctx.values.db && !ctx.manifest.migrations.length) return 'no database (no db values, no migrations)';
  const client = dbValues(ctx).client ?? 'sqlite';
  const file = backupFile(ctx);
  await mkdir(path.dirname(file), { recursive: true });
  if (await exists(file)) return `database already saved in ${file}`; // resumed after a crash: keep the first copy
  const tmp = `${file}.partial`;
  await rm(tmp, { force: true });
  try {
    if (client === 'sqlite') {
      await ctx.db().raw('VACUUM INTO ?', [tmp]);
    } else if (client === 'pg') {
      if (!(await hasTool('pg_dump'))) return 'database not saved: pg_dump is not installed (down migrations will undo the schema)';
      const s = serverOf(ctx.db());
      const [cmd, ...args] = dumpCommand('pg', s, { schema: dbValues(ctx).connection?.schema, file: tmp });
      await tool(cmd, args, toolEnv('pg', s), ctx);
    } else {
      if (!(await hasTool('mysqldump'))) return 'database not saved: mysqldump is not installed (down migrations will undo the schema)';
      const s = serverOf(ctx.db());
      const [cmd, ...args] = dumpCommand('mysql', s, { file: tmp });
      await tool(cmd, args, toolEnv('mysql', s), ctx);
    }
  } catch (e) {
    // a half-written copy (a full disk, a dump that died) must not stay behind
    await rm(tmp, { force: true });
    throw e;
  }
  await rename(tmp, file);
  return `database saved in ${file} (${(await stat(file)).size} bytes)`;
}

export async function restoreDatabase(ctx: InstallContext): Promise<void> {
  const client = dbValues(ctx).client ?? 'sqlite';
  const file = backupFile(ctx);
  if (!(await exists(file))) throw failure('NO_DB_BACKUP', `There is no database backup in ${file} to restore.`, 'Restore the database from your own backup.');
  if (client === 'sqlite') {
    const target = sqliteFile(dbValues(ctx), ctx.root);
    await ctx.close();
    for (const suffix of ['-wal', '-shm']) await rm(target + suffix, { force: true });
    await copyFile(file, target);
  } else if (client === 'pg') {
    const s = serverOf(ctx.db());
    // objects created after the dump are not in it: empty the schema first so the result is exactly the backup
    const named = dbValues(ctx).connection?.schema;
    await ctx.db().raw('drop schema if exists ?? cascade', [named ?? 'public']);
    if (!named) await ctx.db().raw('create schema public');
    await ctx.close();
    await tool('pg_restore', ['--single-transaction', ...toolAuth('pg', s), '-d', s.database ?? 'postgres', file], toolEnv('pg', s), ctx);
  } else {
    const s = serverOf(ctx.db());
    // one connection: foreign_key_checks is per session
    await ctx.db().transaction(async (trx) => {
      const [tables] = await trx.raw('select table_name t from information_schema.tables where table_schema = database()');
      await trx.raw('set foreign_key_checks = 0');
      for (const { t } of tables as { t: string }[]) await trx.raw('drop table if exists ??', [t]);
    });
    await ctx.close();
    const child = spawn('mysql', [...toolAuth('mysql', s), s.database ?? ''], {
      env: { ...process.env, ...toolEnv('mysql', s) },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    await pipeline(createReadStream(file), child.stdin);
    const code = await new Promise<number>((r) => child.on('close', r));
    if (code !== 0) throw failure('DB_RESTORE_FAILED', `mysql could not restore ${file}: ${ctx.scrub(err.trim())}.`, 'Restore it by hand with: mysql DB < ' + file);
  }
}

async function tool(cmd: string, args: string[], env: Record<string, string>, ctx: InstallContext) {
  try {
    await run(cmd, args, { env: { ...process.env, ...env }, maxBuffer: 16 << 20 });
  } catch (e) {
    throw failure(
      'DB_BACKUP_FAILED',
      `${cmd} failed: ${ctx.scrub(messageOf(e)).split('\n').slice(0, 3).join(' ')}.`,
      `Check that ${cmd} can reach the database with the values in etc/<product>/values.yaml.`,
    );
  }
}
