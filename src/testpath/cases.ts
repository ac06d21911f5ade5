/**
 * One direction of one hop, watched: which migration failed (from the runner's
 * events) and whether the installer had to restore the database backup because
 * a down could not run, which a rollback hides but test-path must not.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isUphopError, messageOf } from '../errors.js';
import type { Emit } from '../events.js';
import type { Manifest } from '../bundle/manifest.js';
import type { HopCase } from './junit.js';

export interface Watched {
  emit: Emit;
  failedMigrations: string[];
  /** the warning of a down that failed and was replaced by the DB backup */
  restored?: string;
}

export function watch(emit: Emit): Watched {
  const w: Watched = {
    failedMigrations: [],
    emit: (e) => {
      if (e.type === 'migration' && e.status === 'fail') w.failedMigrations.push(String(e.name));
      if (e.type === 'log' && /restoring the database backup/.test(String(e.message))) w.restored = String(e.message);
      emit(e);
    },
  };
  return w;
}

/** runs one direction; a failure becomes a failed case, never an exception */
export async function runCase(hop: string, direction: HopCase['direction'], emit: Emit, fn: (w: Watched) => Promise<string[] | void>): Promise<HopCase> {
  const t = Date.now();
  const w = watch(emit);
  try {
    const problems = (await fn(w)) ?? [];
    if (w.restored)
      return { hop, direction, ok: false, ms: Date.now() - t, migration: w.failedMigrations[0], message: `a down migration failed, so the rollback had to restore the database backup: ${w.restored}` };
    if (problems.length) return { hop, direction, ok: false, ms: Date.now() - t, migration: problems.find((p) => p.startsWith('suspect: '))?.slice(9), message: problems[0], detail: problems };
    return { hop, direction, ok: true, ms: Date.now() - t };
  } catch (e) {
    const msg = isUphopError(e) ? `[${e.code}] ${e.message}` : messageOf(e);
    return { hop, direction, ok: false, ms: Date.now() - t, migration: w.failedMigrations[0], message: msg };
  }
}

/** the hop's migrations whose source names a table that differs: where to look first */
export async function suspects(bundleDir: string, manifest: Manifest, differences: string[]): Promise<string[]> {
  const tables = [...new Set(differences.map((d) => /^(?:table )?([A-Za-z0-9_]+)/.exec(d)?.[1]).filter(Boolean) as string[])];
  const out: string[] = [];
  for (const m of manifest.migrations) {
    const text = await readFile(path.join(bundleDir, m.file), 'utf8').catch(() => '');
    if (tables.some((t) => new RegExp(`\\b${t}\\b`).test(text))) out.push(m.name);
  }
  return out;
}
