/**
 * Checks made before any change. Version checks can never be skipped; the others
 * that only advise (disk headroom, the bundle's own preflight hook) can be passed
 * with --ignore-preflight NAME. All failures are reported together (exit 3).
 */
import { execFile } from 'node:child_process';
import { stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { refusal, isUphopError, messageOf, type Problem } from '../errors.js';
import { checkPgSchema, checkReachable, type DbValues } from '../drivers/db/connect.js';
import type { InstallContext } from './context.js';
import { ADVISORY_CHECKS } from './advisory.js';
import { runnerOf } from './steps/migrate.js';
import { lockHeld, lockOwnerAlive, readLock } from './lock.js';
import { commandsCheck, valuesCheck } from './preflight-product.js';

interface Check {
  name: string;
  /** a check that cannot run when this one failed (its error would hide the real cause) */
  after?: string;
  run(ctx: InstallContext): Promise<Problem | undefined | void>;
}

const problem = (message: string, hint: string): Problem => ({ message, hint });

const CHECKS: Check[] = [
  {
    name: 'platform',
    async run(ctx) {
      const p = ctx.manifest.platform;
      if (p.os !== process.platform || p.arch !== process.arch)
        return problem(`the bundle was built for ${p.os}/${p.arch}, this manager is ${process.platform}/${process.arch}`, 'use the bundle built for this platform');
      if (p.modules !== process.versions.modules)
        return problem(
          `the bundle's installer needs node ABI ${p.modules}, this node (${process.version}) has ABI ${process.versions.modules}`,
          'run it with the Node.js major version the bundle was built with, or ask for a bundle built for this one',
        );
    },
  },
  {
    name: 'lock',
    async run(ctx) {
      const held = await readLock(ctx.L.lock);
      if (held && (await lockOwnerAlive(held))) throw lockHeld(ctx.L.lock, held);
    },
  },
  {
    name: 'disk',
    async run(ctx) {
      const bytes = Object.values(ctx.manifest.files).reduce((n, f) => n + f.size, 0);
      // unpacked releases, backups of configs and DB: three times the bundle is a conservative floor
      const need = bytes * 3 + 64 * 1024 * 1024;
      const s = await statfs(await existingAncestor(ctx.root)); // a dry run may name a root not made yet
      const free = s.bavail * s.bsize;
      if (free < need) return problem(`only ${mb(free)} MiB free under ${ctx.root}, the install needs about ${mb(need)} MiB`, 'free some space, or pass --ignore-preflight disk if you know it fits');
    },
  },
  {
    name: 'database',
    async run(ctx) {
      if ((!ctx.manifest.migrations.length && !ctx.values.db) || !ctx.hasDatabase()) return;
      await checkReachable(ctx.db());
      const db = ctx.values.db as DbValues | undefined;
      if (db?.client === 'pg' && db.connection?.schema) await checkPgSchema(ctx.db(), db.connection.schema);
    },
  },
  {
    name: 'drift',
    after: 'database',
    async run(ctx) {
      if (ctx.manifest.migrations.length && ctx.hasDatabase()) await runnerOf(ctx).checkDrift();
    },
  },
  valuesCheck,
  commandsCheck,
  {
    name: 'hook',
    async run(ctx) {
      const hook = ctx.manifest.hooks.preflight;
      if (!hook) return;
      try {
        await promisify(execFile)(path.join(ctx.bundleDir, hook), [], { env: { ...process.env, UPHOP_ROOT: ctx.root, UPHOP_FROM: ctx.fromVersion, UPHOP_TO: ctx.manifest.to }, timeout: 120_000 });
      } catch (e) {
        const out = ((e as { stderr?: string; stdout?: string }).stderr || (e as { stdout?: string }).stdout || messageOf(e)).trim().split('\n').slice(-3).join(' ');
        return problem(`the bundle's preflight hook ${hook} refused: ${ctx.scrub(out)}`, 'fix what it reports, or pass --ignore-preflight hook');
      }
    },
  },
];

const mb = (n: number) => Math.floor(n / 1024 / 1024);

async function existingAncestor(dir: string): Promise<string> {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    if (
      await stat(d).then(
        () => true,
        () => false,
      )
    )
      return d;
    if (path.dirname(d) === d) return d;
  }
}

export async function preflight(ctx: InstallContext): Promise<string> {
  const ignored = new Set(ctx.opts.ignorePreflight ?? []);
  const failed: { problem: Problem; error?: Error }[] = [];
  const passed: string[] = [];
  for (const check of CHECKS) {
    if ((ADVISORY_CHECKS as readonly string[]).includes(check.name) && ignored.has(check.name)) {
      ctx.emit({ type: 'log', level: 'warn', message: `preflight check "${check.name}" skipped (--ignore-preflight)` });
      continue;
    }
    if (check.after && failed.some((f) => f.problem.field === check.after)) continue;
    try {
      const p = await check.run(ctx);
      if (p) failed.push({ problem: { field: check.name, ...p } });
      else passed.push(check.name);
    } catch (e) {
      if (!isUphopError(e)) throw e;
      failed.push({ problem: { field: check.name, message: e.message, hint: e.hint }, error: e });
    }
  }
  if (failed.length === 1) {
    const { problem: p, error } = failed[0];
    // one failure keeps its own code (DB_UNREACHABLE, MIGRATION_DRIFT, ...) for scripts
    throw error ?? refusal(`PREFLIGHT_${p.field!.toUpperCase()}`, `Preflight check "${p.field}" failed: ${p.message}; nothing was changed.`, p.hint);
  }
  if (failed.length) throw refusal('PREFLIGHT_FAILED', `${failed.length} preflight checks failed; nothing was changed.`, 'Fix each problem listed above.', { problems: failed.map((f) => f.problem) });
  return `passed: ${passed.join(', ')}`;
}
