/**
 * Schema migrations by phase: `pre` while the old services still serve, `main`
 * between stop and start, `post` once the new services are healthy. Undo runs
 * the downs of the phase's migrations that are applied (derived from the DB, so
 * it holds after a crash); when a down cannot run, the database backup is restored.
 */
import path from 'node:path';
import type { MigrationPhase } from '../../bundle/manifest.js';
import { isUphopError, messageOf } from '../../errors.js';
import { MigrationRunner } from '../../migrate/runner.js';
import type { InstallContext } from '../context.js';
import { restoreDatabase } from '../db-backup.js';
import type { InstallStep } from '../step.js';
import { fmtList } from './util.js';
import { hopMigrations } from '../phases.js';

const runners = new WeakMap<InstallContext, MigrationRunner>();

export function runnerOf(ctx: InstallContext): MigrationRunner {
  let r = runners.get(ctx);
  if (!r) {
    const migrations = hopMigrations(ctx.manifest).map((m) => ({ version: m.version, name: m.name, phase: m.phase, file: path.join(ctx.bundleDir, m.file) }));
    r = new MigrationRunner({ knex: ctx.db(), migrations, emit: ctx.emit });
    runners.set(ctx, r);
  }
  return r;
}

/** the DB is reopened after a restore: runners must not outlive their knex */
export const forgetRunner = (ctx: InstallContext) => runners.delete(ctx);

function migrateStep(phase: MigrationPhase, name: string): InstallStep {
  const ofPhase = (ctx: InstallContext) =>
    hopMigrations(ctx.manifest)
      .filter((m) => m.phase === phase)
      .map((m) => m.name);
  return {
    name,
    async apply(ctx) {
      if (!ofPhase(ctx).length) return 'none in this bundle';
      const applied = await runnerOf(ctx).up(phase);
      return applied.length ? fmtList(applied) : 'already applied';
    },
    async undo(ctx) {
      if (!ofPhase(ctx).length) return;
      try {
        return `reverted ${fmtList(await runnerOf(ctx).down(ofPhase(ctx)))}`;
      } catch (e) {
        ctx.emit({ type: 'log', level: 'warn', message: `down migrations failed (${ctx.scrub(isUphopError(e) ? e.message : messageOf(e))}); restoring the database backup` });
        forgetRunner(ctx);
        await restoreDatabase(ctx);
        return 'database restored from backup';
      }
    },
  };
}

export const migratePre = migrateStep('pre', 'migrate schema (pre)');
export const migrateMain = migrateStep('main', 'migrate schema');
export const migratePost = migrateStep('post', 'migrate schema (post)');
