/**
 * One install at a time per manager: var/lock/uphop.lock holds the owner's pid and
 * process start time. A lock whose owner is gone (kill -9, reboot) is stale and is
 * taken over, saying so; a live owner is a refusal (exit 3). The agents lock
 * (uphop-agents.lock) is the same code.
 *
 * Atomicity. The lock file is never seen empty or half written: the owner record is
 * written to a temp file (<lock>.tmp-<random>), then link(2)ed to the lock's name,
 * which fails with EEXIST when a lock exists. Exactly one of any number of racers'
 * links succeeds. A lock that cannot be parsed was therefore not written by a live
 * uphop (an older uphop's torn write, or a power cut before the data reached the
 * disk) and counts as stale.
 *
 * Stale takeover. Removing the stale file and linking ours are two steps, and a
 * racer that removes the lock after another racer has already linked its fresh
 * one would make two holders. So removing a lock whose content is X is itself
 * guarded: the remover first link(2)s its record to <lock>.takeover-<sha(X)>, a
 * name only X can produce, so exactly one racer holds the right to remove X. It
 * re-reads the lock and unlinks it only if it still holds exactly X (nobody else
 * may remove X: X's owner is dead and every other remover needs the claim), then
 * drops the claim and starts over: the next link(2) decides the new owner among
 * everybody, as above. The races, one by one:
 *  - two racers both see X stale: one claim succeeds, the other gets EEXIST, waits
 *    and re-reads: the lock is then gone (it links) or fresh and alive (refusal);
 *  - a slow racer that read X long ago claims X after X was replaced: its re-read
 *    finds the new content, not X, so it removes nothing;
 *  - a claimant is killed while it holds the claim: the claim file holds its
 *    record, so it is itself a stale lock, removed by the same procedure (claim
 *    name from the claim's content), after which the lock is taken over again;
 *  - content repeats never: a record carries pid, process start time and the ms.
 * Temp and claim files left by a killed process are removed by the next holder
 * (their names or owner records say whose they are).
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { link, mkdir, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { refusal } from '../errors.js';
import type { Emit } from '../events.js';
import { isSameProcess, startTimeOf } from '../drivers/services/proc.js';
import { randomSuffix } from '../drivers/fsutil.js';

export interface LockInfo {
  pid: number;
  startTime: string;
  host: string;
  bundle: string;
  since: string;
  /** what the owner is doing, for the refusal; default "installing <bundle>" */
  activity?: string;
}

export async function readLock(file: string): Promise<LockInfo | undefined> {
  return parseLock(await readRaw(file));
}

const parseLock = (raw: string | undefined): LockInfo | undefined => {
  try {
    const info = raw === undefined ? undefined : (JSON.parse(raw) as LockInfo);
    return info && typeof info.pid === 'number' ? info : undefined;
  } catch {
    return undefined;
  }
};

/** the file's bytes, undefined when it does not exist */
async function readRaw(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

const exists = (e: unknown) => (e as NodeJS.ErrnoException).code === 'EEXIST';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const claimName = (file: string, raw: string) => `${file}.takeover-${createHash('sha256').update(raw).digest('hex').slice(0, 16)}`;

/** is the lock's owner a live process (on this host)? */
export async function lockOwnerAlive(info: LockInfo): Promise<boolean> {
  return info.host === hostname() && info.pid !== process.pid && (await isSameProcess(info.pid, info.startTime));
}

export const lockHeld = (file: string, held: LockInfo) =>
  refusal(
    'LOCK_HELD',
    `Another uphop (pid ${held.pid}, ${held.activity ?? `installing ${held.bundle}`} since ${held.since}) holds ${file}.`,
    'Wait for it to finish; uphop status shows its progress.',
  );

/** a lock (or claim) record whose owner is gone; a foreign host's record is never stale here */
async function isStale(info: LockInfo | undefined): Promise<boolean> {
  return !info || (info.host === hostname() && !(await isSameProcess(info.pid, info.startTime)));
}

/**
 * Removes `file` if it still holds exactly `raw` (a stale record), under the claim
 * that only one racer can hold. "busy" when a live racer holds the claim.
 */
async function removeStale(file: string, raw: string, tmp: string, depth = 0): Promise<'removed' | 'gone' | 'busy'> {
  const claim = claimName(file, raw);
  try {
    await link(tmp, claim);
  } catch (e) {
    if (!exists(e)) throw e;
    const held = await readRaw(claim);
    if (held === undefined) return 'gone';
    // a claimant killed mid-takeover leaves its claim: a stale lock of its own
    if (depth < 3 && (await isStale(parseLock(held)))) await removeStale(claim, held, tmp, depth + 1);
    return 'busy';
  }
  try {
    if ((await readRaw(file)) !== raw) return 'gone';
    await unlink(file);
    return 'removed';
  } finally {
    await rm(claim, { force: true });
  }
}

/**
 * Temp and claim files of this lock whose owners are dead (killed mid-acquire). A
 * temp file's owner is in its name (it may be read while still being written); a
 * claim is a link of a complete temp file, so its owner is its content.
 */
async function sweepLeftovers(file: string): Promise<void> {
  const dir = path.dirname(file);
  const base = path.basename(file);
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const p = path.join(dir, name);
    if (name.startsWith(`${base}.tmp-`)) {
      const [pid, startTime] = name.slice(base.length + 5).split('.');
      if (!(await isSameProcess(Number(pid), startTime ?? ''))) await rm(p, { force: true });
    } else if (name.startsWith(`${base}.takeover-`)) {
      const raw = await readRaw(p).catch(() => undefined);
      if (raw !== undefined && (await isStale(parseLock(raw)))) await rm(p, { force: true });
    }
  }
}

export async function acquireLock(file: string, bundle: string, emit: Emit, activity?: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const mine: LockInfo = { pid: process.pid, startTime: await startTimeOf(process.pid), host: hostname(), bundle, since: new Date().toISOString(), ...(activity ? { activity } : {}) };
  const body = JSON.stringify(mine) + '\n';
  // <lock>.tmp-<pid>.<start time>.<random>: whose it is, readable before its content is complete
  const tmp = `${file}.tmp-${mine.pid}.${mine.startTime}.${randomSuffix()}`;
  await writeFile(tmp, body);
  let stale: LockInfo | undefined;
  let staleSeen = false;
  try {
    for (let round = 0; ; round++) {
      try {
        await link(tmp, file);
        break;
      } catch (e) {
        if (!exists(e)) throw e;
      }
      const raw = await readRaw(file);
      if (raw === undefined) continue; // removed between our link and read: link again
      const held = parseLock(raw);
      if (held && held.pid === process.pid && held.host === mine.host) return; // re-entrant (resume in the same process)
      if (held && held.host !== mine.host) {
        throw refusal('LOCK_HELD', `${file} is held by pid ${held.pid} on host ${held.host}, which this host cannot check.`, `If no install runs on ${held.host}, delete ${file} and retry.`);
      }
      if (held && !(await isStale(held))) throw lockHeld(file, held);
      // a claim held by a live racer is released within milliseconds; a lock that stays stale and claimed this long is not ours to fight for
      if (round > 200) throw refusal('LOCK_HELD', `${file} is stale but another uphop keeps claiming it.`, `Retry; if this persists, delete ${file}.`);
      staleSeen = true;
      stale ??= held;
      if ((await removeStale(file, raw, tmp)) === 'busy') await sleep(5 + Math.random() * 20);
    }
  } finally {
    await rm(tmp, { force: true });
  }
  await sweepLeftovers(file);
  if (staleSeen) emit({ type: 'log', level: 'warn', message: `took over a stale lock left by pid ${stale?.pid ?? '?'} (${stale?.bundle ?? 'unknown bundle'}), which is no longer running` });
}

export async function releaseLock(file: string): Promise<void> {
  const held = await readLock(file);
  if (!held || held.pid === process.pid) await rm(file, { force: true });
}
