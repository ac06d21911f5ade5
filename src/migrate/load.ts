/**
 * Turns a migration file into up/down functions over a knex context. JS modules
 * are imported with the checksum in the URL so the code that runs is the code
 * that was hashed, even if a file changed within one process.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Knex } from 'knex';
import type { DbClient } from '../drivers/db/connect.js';
import { usageError, messageOf } from '../errors.js';
import type { MigrationFile } from './types.js';
import { parseSqlMigration } from '../spec/sql.js';
import { runSqlSection } from './sql-file.js';

export type MigrationStep = (ctx: Knex) => Promise<void>;
export interface LoadedMigration {
  up: MigrationStep;
  down?: MigrationStep;
}

type JsStep = (params: { context: Knex; name: string; path: string }) => unknown;

const invalid = (m: MigrationFile, why: string, hint: string) => usageError('MIGRATION_INVALID', `Migration ${m.name} (${m.file}) cannot be used: ${why}.`, hint);

export async function loadMigration(m: MigrationFile, checksum: string, dialect: DbClient): Promise<LoadedMigration> {
  const ext = path.extname(m.file);
  if (ext === '.sql') {
    // an empty or missing "-- down" section means the migration cannot be reverted
    const { up, down } = parseSqlMigration(await readFile(m.file, 'utf8'), m.file);
    return {
      up: (ctx) => runSqlSection(ctx, dialect, up),
      down: down === undefined ? undefined : (ctx) => runSqlSection(ctx, dialect, down),
    };
  }
  if (!['.mjs', '.cjs', '.js'].includes(ext)) throw invalid(m, `"${ext}" is not a migration type`, 'use .mjs, .cjs, .js or .sql');
  let mod: Record<string, unknown>;
  try {
    mod = await import(`${pathToFileURL(m.file).href}?sha256=${checksum}`);
  } catch (e) {
    throw invalid(m, `it does not load (${messageOf(e)})`, 'migrations run with only node: they must not import packages');
  }
  const pick = (k: 'up' | 'down') => (mod[k] ?? (mod.default as Record<string, unknown> | undefined)?.[k]) as JsStep | undefined;
  const up = pick('up');
  const down = pick('down');
  if (typeof up !== 'function') throw invalid(m, 'it exports no up function', 'export async function up({ context }) { ... } where context is a knex');
  const step =
    (f: JsStep): MigrationStep =>
    async (ctx) => {
      await f({ context: ctx, name: m.name, path: m.file });
    };
  return { up: step(up), down: typeof down === 'function' ? step(down) : undefined };
}
