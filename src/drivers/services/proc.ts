/**
 * Process identity from /proc: a pid alone can be recycled, so the pidfile also keeps
 * the kernel's start time of the process, and a pid is "ours" only when both match.
 */
import { promises as fs } from 'node:fs';

export interface ProcInfo {
  state: string;
  pgrp: number;
  /** clock ticks since boot (field 22 of /proc/<pid>/stat) */
  startTime: string;
}

export async function procInfo(pid: number): Promise<ProcInfo | null> {
  let stat: string;
  try {
    stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // comm (field 2) is in parentheses and may itself hold spaces or ')'
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0], pgrp: Number(fields[2]), startTime: fields[19] };
}

const hasProc = fs.access('/proc/self/stat').then(
  () => true,
  () => false,
);

// a zombie has exited; when the installer that started it is gone nobody may ever reap it
const isLive = (info: ProcInfo | null): info is ProcInfo => info !== null && info.state !== 'Z' && info.state !== 'X';

/** signal 0 probe: used where /proc does not exist */
function signalAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** start time to record for a fresh pid ("" when /proc is absent or it already vanished) */
export async function startTimeOf(pid: number): Promise<string> {
  return (await procInfo(pid))?.startTime ?? '';
}

/** is `pid` alive and still the process that was started at `startTime`? */
export async function isSameProcess(pid: number, startTime: string): Promise<boolean> {
  if (!(await hasProc)) return signalAlive(pid);
  const info = await procInfo(pid);
  if (!isLive(info)) return false;
  return startTime === '' || info.startTime === startTime;
}

/** does any live process of group `pgid` remain (the service's own children included)? */
export async function groupAlive(pgid: number): Promise<boolean> {
  if (!(await hasProc)) return signalAlive(-pgid);
  for (const name of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const info = await procInfo(Number(name));
    if (isLive(info) && info.pgrp === pgid) return true;
  }
  return false;
}

/**
 * Signal the service's process group (its children too); a pid that leads no group
 * (a pidfile written by another tool) gets the signal alone.
 */
export function signalGroup(pgid: number, sig: NodeJS.Signals): void {
  for (const target of [-pgid, pgid]) {
    try {
      process.kill(target, sig);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
    }
  }
}
