/**
 * Pidfile format: line 1 the pid (so `kill $(head -1 f)` works), line 2 the process
 * start time from /proc/<pid>/stat. Written atomically: a crash never leaves half a pid.
 */
import { promises as fs } from 'node:fs';
import { writeFileAtomic } from '../fsutil.js';

export interface PidRecord {
  pid: number;
  startTime: string;
}

export async function readPidfile(file: string): Promise<PidRecord | null> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const [pidLine, startLine = ''] = text.split('\n');
  const pid = Number(pidLine);
  // garbage is treated like a stale file: the caller cleans it up
  if (!Number.isInteger(pid) || pid <= 1) return null;
  return { pid, startTime: startLine.trim() };
}

export const writePidfile = (file: string, rec: PidRecord) => writeFileAtomic(file, `${rec.pid}\n${rec.startTime}\n`);

export const removePidfile = (file: string) => fs.rm(file, { force: true });
