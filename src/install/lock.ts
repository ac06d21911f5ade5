/**
 * One install at a time per manager: var/lock/uphop.lock holds the owner's pid and
 * process start time. A lock whose owner is gone (kill -9, reboot) is stale and is
 * taken over, saying so; a live owner is a refusal (exit 3).
 */
import { hostname } from 'node:os';
import { mkdir, readFile, rm, writeFile, rename } from 'node:fs/promises';
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
  try {
    return JSON.parse(await readFile(file, 'utf8')) as LockInfo;
  } catch {
    return undefined;
  }
}

/** is the lock's owner a live process (on this host)? */
export async function lockOwnerAlive(info: LockInfo): Promise<boolean> {
  return info.host === hostname() && info.pid !== process.pid && (await isSameProcess(info.pid, info.startTime));
}

export const lockHeld = (file: string, held: LockInfo) =>
  refusal('LOCK_HELD', `Another uphop (pid ${held.pid}, ${held.activity ?? `installing ${held.bundle}`} since ${held.since}) holds ${file}.`, 'Wait for it to finish; uphop status shows its progress.');

export async function acquireLock(file: string, bundle: string, emit: Emit, activity?: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const mine: LockInfo = { pid: process.pid, startTime: await startTimeOf(process.pid), host: hostname(), bundle, since: new Date().toISOString(), ...(activity ? { activity } : {}) };
  const body = JSON.stringify(mine) + '\n';
  try {
    await writeFile(file, body, { flag: 'wx' });
    return;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const held = await readLock(file);
  if (held && held.pid === process.pid && held.host === mine.host) return; // re-entrant (resume in the same process)
  if (held && (await lockOwnerAlive(held))) throw lockHeld(file, held);
  if (held && held.host !== mine.host) {
    throw refusal('LOCK_HELD', `${file} is held by pid ${held.pid} on host ${held.host}, which this host cannot check.`, `If no install runs on ${held.host}, delete ${file} and retry.`);
  }
  // Stale: replace by rename so a concurrent taker cannot see the file missing.
  const tmp = `${file}.${randomSuffix()}`;
  await writeFile(tmp, body);
  await rename(tmp, file);
  emit({ type: 'log', level: 'warn', message: `took over a stale lock left by pid ${held?.pid ?? '?'} (${held?.bundle ?? 'unknown bundle'}), which is no longer running` });
}

export async function releaseLock(file: string): Promise<void> {
  const held = await readLock(file);
  if (!held || held.pid === process.pid) await rm(file, { force: true });
}
