/**
 * A rehearsal stopped half-way (Ctrl-C, kill -9, a reboot) must not leave the
 * copy's services running on the customer's manager, nor its database on the
 * live server. Each rehearsal's work folder holds `rehearsal.json` (its pid and
 * start time, the live root, the name of its database copy; no secrets): on
 * SIGINT/SIGTERM the rehearsal removes its own copy, and the next rehearsal of
 * the same live root removes any copy whose rehearsal is gone.
 * The work folder is often /tmp, where anyone can plant a folder: a leftover is
 * only one this user owns (a real folder, not a link), for this live root and
 * product, and only a database named like a rehearsal's copy is ever dropped.
 */
import { lstat, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DbValues } from '../drivers/db/connect.js';
import { killServicesUnder } from '../drivers/services/discover.js';
import { isSameProcess, startTimeOf } from '../drivers/services/proc.js';
import { messageOf } from '../errors.js';
import type { Emit } from '../events.js';
import { dropCopyDatabase } from './copy-db.js';

export const WORK_PREFIX = 'uphop-rehearsal-';
const MARK = 'rehearsal.json';

export interface RehearsalMark {
  pid: number;
  startTime: string;
  live: string;
  product: string;
  /** the temporary database on the live server, when there is one */
  database?: string;
}

export async function markWork(work: string, m: Omit<RehearsalMark, 'pid' | 'startTime'>): Promise<void> {
  const mark: RehearsalMark = { pid: process.pid, startTime: await startTimeOf(process.pid), ...m };
  await writeFile(path.join(work, MARK), JSON.stringify(mark) + '\n', { mode: 0o600 });
}

/**
 * Kills every process running from the copy (found by cwd or command line, so a
 * service started a moment ago is found too), deletes the folder, kills again
 * what started in between (its release folder is gone now, so nothing more can),
 * then drops the database copy.
 */
export async function removeCopy(work: string, product: string, dropDb: () => Promise<void>): Promise<void> {
  const root = path.join(work, 'root');
  await killServicesUnder(root, product);
  await rm(work, { recursive: true, force: true });
  await killServicesUnder(root, product);
  await dropDb();
}

/** the mark of a work folder this user made (a folder, not a link, owned by this uid); undefined otherwise */
async function ownMark(work: string): Promise<RehearsalMark | undefined> {
  const st = await lstat(work).catch(() => undefined);
  if (!st?.isDirectory() || (process.getuid && st.uid !== process.getuid())) return undefined;
  const markStat = await lstat(path.join(work, MARK)).catch(() => undefined);
  if (!markStat?.isFile() || (process.getuid && markStat.uid !== process.getuid())) return undefined;
  try {
    const m = JSON.parse(await readFile(path.join(work, MARK), 'utf8')) as RehearsalMark;
    return Number.isInteger(m.pid) && typeof m.startTime === 'string' && typeof m.live === 'string' ? m : undefined;
  } catch {
    return undefined;
  }
}

/** removes the copies of this live root's rehearsals that are no longer running; says so for each */
export async function sweepLeftovers(parent: string, live: string, product: string, db: DbValues | undefined, emit: Emit): Promise<number> {
  let removed = 0;
  for (const name of await readdir(parent).catch(() => [] as string[])) {
    if (!name.startsWith(WORK_PREFIX)) continue;
    const work = path.join(parent, name);
    const mark = await ownMark(work);
    if (!mark || mark.live !== live || mark.product !== product || (await isSameProcess(mark.pid, mark.startTime))) continue;
    try {
      await removeCopy(work, mark.product, async () => {
        if (db && mark.database) await dropCopyDatabase(db, live, mark.database);
      });
      removed++;
      emit({ type: 'log', level: 'info', message: `removed the copy left by an interrupted rehearsal (pid ${mark.pid}): ${work}${mark.database ? ` and its database ${mark.database}` : ''}` });
    } catch (e) {
      emit({ type: 'log', level: 'warn', message: `could not remove the copy left by an interrupted rehearsal in ${work}: ${messageOf(e)}` });
    }
  }
  return removed;
}
