/**
 * The product's seed and verify hooks (docs/hop-spec.md). A .mjs/.cjs/.js hook is
 * a module like a migration: its `seed` / `verify` (or default) export is called
 * with `{ context: knex, root, version, values, rows }`. Any other file is run as
 * a program with the environment below. Either way it runs against the sandbox
 * manager, never a live one.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Knex } from 'knex';
import type { DbValues } from '../drivers/db/connect.js';
import { failure, messageOf } from '../errors.js';

export interface HookInput {
  name: 'seed' | 'verify';
  file: string;
  root: string;
  product: string;
  version: string;
  values: Record<string, unknown>;
  valuesFile: string;
  db: DbValues;
  knex: Knex;
  rows: number;
  scrub(text: string): string;
}

/** the database as one URL for hooks in any language (sqlite: the absolute file) */
export function dbUrl(db: DbValues, root: string): string {
  const c = db.connection ?? {};
  if ((db.client ?? 'sqlite') === 'sqlite') return `sqlite://${path.resolve(root, '.' + path.sep + String(c.filename ?? ''))}`;
  if (c.url) return c.url;
  const auth = c.user ? `${encodeURIComponent(c.user)}${c.password ? `:${encodeURIComponent(c.password)}` : ''}@` : '';
  const scheme = db.client === 'pg' ? 'postgres' : 'mysql';
  return `${scheme}://${auth}${c.host ?? '127.0.0.1'}${c.port ? `:${c.port}` : ''}/${c.database ?? ''}${c.schema ? `?schema=${encodeURIComponent(c.schema)}` : ''}`;
}

export function hookEnv(h: HookInput): Record<string, string> {
  return {
    UPHOP_HOOK: h.name,
    UPHOP_ROOT: h.root,
    UPHOP_PRODUCT: h.product,
    UPHOP_VERSION: h.version,
    UPHOP_VALUES: h.valuesFile,
    UPHOP_DB_CLIENT: h.db.client ?? 'sqlite',
    UPHOP_DB_URL: dbUrl(h.db, h.root),
    UPHOP_SEED_ROWS: String(h.rows),
    UPHOP_NODE: process.execPath,
  };
}

export async function runHook(h: HookInput): Promise<string> {
  try {
    if (/\.(mjs|cjs|js)$/.test(h.file)) {
      const mod = await import(pathToFileURL(h.file).href);
      const fn = mod[h.name] ?? mod.default;
      if (typeof fn !== 'function') throw new Error(`${path.basename(h.file)} exports no ${h.name}() (or default) function`);
      const out = await fn({ context: h.knex, root: h.root, version: h.version, values: h.values, rows: h.rows });
      return typeof out === 'string' ? out : '';
    }
    return await new Promise<string>((resolve, reject) => {
      execFile(h.file, [], { env: { ...process.env, ...hookEnv(h) }, timeout: 600_000, maxBuffer: 8 << 20 }, (err, stdout, stderr) => {
        if (err) reject(new Error((stderr || stdout || err.message).trim().split('\n').slice(-3).join(' ')));
        else resolve(stdout.trim().split('\n').slice(-1)[0] ?? '');
      });
    });
  } catch (e) {
    throw failure(
      h.name === 'seed' ? 'SEED_FAILED' : 'VERIFY_FAILED',
      `The ${h.name} hook ${path.basename(h.file)} failed on ${h.version}: ${h.scrub(messageOf(e))}.`,
      `Run it by hand against a sandbox to see why (its environment is in docs/hop-spec.md).`,
    );
  }
}
