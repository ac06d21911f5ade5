/**
 * preflight.json: what preflight would say without a bundle (read-only checks run
 * now) and what the last recorded preflight said. A preflight is recorded only in
 * reports (its step events and the warnings of checks skipped by
 * --ignore-preflight): a refused one writes no report, and the newest report may
 * be of a run without one (a rehearsal), so the newest report holding one is taken.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Knex } from 'knex';
import { messageOf } from '../errors.js';
import { layout } from '../install/layout.js';
import { lockOwnerAlive, readLock } from '../install/lock.js';
import type { readState } from '../install/state.js';
import { lastReports } from './sources.js';

type ReportEvent = { type: string; step?: string; status?: string; detail?: string; level?: string; message?: string };

async function lastRecordedPreflight(root: string) {
  for (const r of await lastReports(root)) {
    const report = await readFile(r.json, 'utf8').then(
      (t) => JSON.parse(t) as { started: string; events?: ReportEvent[] },
      () => undefined,
    );
    const events = report?.events ?? [];
    const preflight = events.filter((e) => e.type === 'step' && e.step === 'preflight' && e.status !== 'begin');
    if (!preflight.length) continue;
    const skipped = events.filter((e) => e.type === 'log' && e.message?.startsWith('preflight check ')).map((e) => e.message);
    return { report: path.basename(r.json), at: report!.started, preflight, ...(skipped.length ? { skipped } : {}) };
  }
  return undefined;
}

export async function preflightNow(root: string, db: Knex | undefined, state: Awaited<ReturnType<typeof readState>>, interrupted?: string) {
  const held = await readLock(layout(root).lock).catch(() => undefined);
  const database = db
    ? await db.raw('select 1').then(
        () => 'reachable',
        (e) => `unreachable: ${messageOf(e)}`,
      )
    : 'no db values';
  return {
    now: {
      installed: state ? `${state.product} ${state.version}` : 'nothing',
      lock: held ? { ...held, alive: await lockOwnerAlive(held) } : 'free',
      interrupted: interrupted ?? 'none',
      database,
    },
    lastRecorded: (await lastRecordedPreflight(root)) ?? 'no report with a preflight yet',
  };
}
