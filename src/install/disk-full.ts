/**
 * A full disk is a situation a user can cause, not a bug: ENOSPC (or SQLite's
 * SQLITE_FULL) anywhere in an install becomes one sentence that says the disk is
 * full, where, and about how much the phase needs, instead of a raw errno message.
 * Estimates are what the phase writes: the unpacked bundle, the database copy,
 * the unpacked packages, the rendered configs.
 */
import { open, stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import { UphopError, type ExitCode } from '../errors.js';
import { sqliteFile, type DbValues } from '../drivers/db/connect.js';
import type { InstallContext } from './context.js';

/** does this error (or one it wraps) say that the disk or the quota is full? */
export function isDiskFull(e: unknown): boolean {
  for (let x = e, depth = 0; x && depth < 8; x = (x as { cause?: unknown }).cause, depth++) {
    const code = (x as { code?: unknown }).code;
    if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL') return true;
    if (/ENOSPC|no space left on device|database or disk is full|disk quota exceeded/i.test(String((x as Error).message ?? ''))) return true;
  }
  return false;
}

/** the path the failing write named, if any */
function failedPath(e: unknown): string | undefined {
  for (let x = e, depth = 0; x && depth < 8; x = (x as { cause?: unknown }).cause, depth++) {
    const p = (x as { path?: unknown }).path;
    if (typeof p === 'string') return p;
  }
  return undefined;
}

const size = (n: number) => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : `${Math.max(1, Math.ceil(n / 1024))} KiB`);

async function freeBytes(dir: string): Promise<number | undefined> {
  for (let d = dir; ; d = path.dirname(d)) {
    try {
      const s = await statfs(d);
      return s.bavail * s.bsize;
    } catch {
      if (d === path.dirname(d)) return undefined;
    }
  }
}

/** the uncompressed size a .gz file records in its last 4 bytes (mod 4 GiB), else its own size */
export async function unpackedSize(file: string): Promise<number> {
  const st = await stat(file);
  const fh = await open(file, 'r');
  try {
    const head = Buffer.alloc(2);
    await fh.read(head, 0, 2, 0);
    if (head[0] !== 0x1f || head[1] !== 0x8b || st.size < 18) return st.size;
    const tail = Buffer.alloc(4);
    await fh.read(tail, 0, 4, st.size - 4);
    return Math.max(tail.readUInt32LE(0), st.size);
  } finally {
    await fh.close();
  }
}

/** the folder to name: the failed write's, above any temporary folder (gone by the time the user reads it) */
function folderOf(file: string | undefined, fallback: string): string {
  if (!file) return fallback;
  let d = path.dirname(file);
  while (d !== path.dirname(d) && (/\.partial|^\.incoming-|\.tmp-|^\.trash-/.test(path.basename(d)) || d.split(path.sep).some((s) => s.startsWith('.incoming-')))) d = path.dirname(d);
  return d;
}

export async function diskFullError(o: { what: string; dir: string; needBytes?: number; exitCode: ExitCode; after: string; cause: unknown }): Promise<UphopError> {
  const where = folderOf(failedPath(o.cause), o.dir);
  const free = await freeBytes(where);
  const need = o.needBytes ? `needs about ${size(o.needBytes)}` : 'needs more space';
  const have = free === undefined ? '' : `, and ${size(free)} ${free === 0 ? 'is' : 'was'} free`;
  return new UphopError('DISK_FULL', `The disk is full under ${where}: ${o.what} ${need}${have}.`, {
    exitCode: o.exitCode,
    hint: `Free at least ${size(Math.max(o.needBytes ?? 0, 64 * 1024 * 1024))} on the file system of ${where}, then ${o.after}.`,
    cause: o.cause,
  });
}

/** what each install step writes, for the message; undefined where nothing big is written */
async function stepNeeds(ctx: InstallContext, step: string): Promise<{ what: string; bytes?: number } | undefined> {
  const sum = (ns: number[]) => ns.reduce((a, b) => a + b, 0);
  if (step === 'backup') return { what: 'the database backup', bytes: await databaseSize(ctx) };
  if (step === 'stage packages') {
    return { what: 'staging the packages', bytes: sum(await Promise.all(ctx.manifest.components.map((c) => unpackedSize(path.join(ctx.bundleDir, c.file)).catch(() => 0)))) };
  }
  if (step === 'write configs') return { what: 'writing the configs', bytes: sum(ctx.manifest.configs.map((c) => ctx.manifest.files[c.template]?.size ?? 4096)) };
  return undefined;
}

async function databaseSize(ctx: InstallContext): Promise<number | undefined> {
  const db = (ctx.values.db ?? {}) as DbValues;
  try {
    if ((db.client ?? 'sqlite') === 'sqlite') return (await stat(sqliteFile(db, ctx.root))).size;
    if (db.client === 'pg') {
      const r = await ctx.db().raw('select coalesce(sum(pg_total_relation_size(c.oid)), 0) as n from pg_class c join pg_namespace s on s.oid = c.relnamespace where s.nspname = current_schema()');
      return Number(r.rows[0].n);
    }
    const [rows] = await ctx.db().raw('select coalesce(sum(data_length + index_length), 0) as n from information_schema.tables where table_schema = database()');
    return Number(rows[0].n);
  } catch {
    return undefined;
  }
}

/** a step that ran out of disk: rolled back by the engine, so exit 1 */
export async function diskFullAtStep(ctx: InstallContext, step: string, cause: unknown): Promise<UphopError> {
  const needs = await stepNeeds(ctx, step);
  return diskFullError({ what: needs?.what ?? `step "${step}"`, dir: ctx.root, needBytes: needs?.bytes, exitCode: 1, after: 'run the install again', cause });
}

/** the bundle could not be unpacked into var/lib/uphop/bundles: nothing changed yet, so exit 3 */
export async function diskFullAtCopy(bundle: string, bundlesDir: string, cause: unknown): Promise<UphopError> {
  const st = await stat(bundle).catch(() => undefined);
  const bytes = st?.isFile() ? await unpackedSize(bundle).catch(() => st.size) : undefined;
  return diskFullError({ what: 'copying the bundle', dir: bundlesDir, needBytes: bytes, exitCode: 3, after: 'run the install again', cause });
}
