/**
 * The commit points of an install. state.json holds the installed version and the
 * history together, so one atomic replace (temp, fsync, rename, fsync dir) moves
 * both: an install commits when "record version" writes the new version with its
 * history record, a rollback when the old state returns with a "rolled-back" record.
 * The journal's final record ("done", "rolled-back") is written after, and recovery
 * reads state.json first (interrupted.ts), so a kill between the two is a completed
 * install (or rollback), never a torn one.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { UphopError } from '../errors.js';
import { fsyncDir } from '../drivers/fsutil.js';
import type { InstallContext } from './context.js';
import { readState, writeState, type HopRecord, type InstalledState } from './state.js';

export function hopRecord(ctx: InstallContext, result: HopRecord['result'], error?: UphopError): HopRecord {
  return {
    bundle: ctx.id,
    from: ctx.fromVersion,
    to: ctx.manifest.to,
    started: new Date(ctx.runStarted).toISOString(),
    finished: new Date().toISOString(),
    result,
    ms: Date.now() - ctx.runStarted,
    ...(error ? { error: error.message } : {}),
    ...(ctx.attempt ? { attempt: ctx.attempt } : {}),
  };
}

/** the install's commit: the new version and its history record in one replace */
export async function commitInstall(ctx: InstallContext, next: Omit<InstalledState, 'history'>): Promise<void> {
  await writeState(ctx.L.state, { ...next, history: [...(ctx.prev?.history ?? []), hopRecord(ctx, 'succeeded')] });
}

/**
 * The rollback's commit, once every step is undone: the state before the hop with
 * the history so far plus this rollback. A fresh install leaves no state at all.
 */
export async function commitRollback(ctx: InstallContext, error?: UphopError): Promise<void> {
  if (!ctx.prev) {
    await rm(ctx.L.state, { force: true });
    await fsyncDir(path.dirname(ctx.L.state)).catch(() => undefined);
    return;
  }
  const now = await readState(ctx.L.state);
  await writeState(ctx.L.state, { ...ctx.prev, history: [...(now?.history ?? ctx.prev.history), hopRecord(ctx, 'rolled-back', error)] });
}

/** is the journal attempt `beganAt` of `bundle` the one state.json's last history record closes? */
export function closedBy(state: InstalledState | undefined, bundle: string, beganAt: string | undefined): HopRecord['result'] | undefined {
  const last = state?.history.at(-1);
  if (!last || last.bundle !== bundle || !last.attempt || last.attempt !== beganAt) return undefined;
  return last.result;
}
