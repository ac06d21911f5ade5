/**
 * The first thing an install writes, before it extracts or checks the bundle:
 * var/lib/uphop/starting-<pid>.json (atomically), naming the bundle and the options.
 * It is removed when the install refuses, finishes, or its journal takes over; one
 * left by a dead process is an install that was interrupted before it changed
 * anything (status says so, resume runs it again), and its temp files are leftovers.
 */
import { mkdir, readdir, readFile, rm, rmdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../drivers/fsutil.js';
import { isSameProcess, startTimeOf } from '../drivers/services/proc.js';
import type { Layout } from './layout.js';

export interface StartingRecord {
  pid: number;
  startTime: string;
  host: string;
  since: string;
  /** the bundle as the user named it (a path) */
  source: string;
  /** the install's options (no secrets: values stay in their file), to run it again */
  options: Record<string, unknown>;
}

const dirOf = (L: Layout) => path.dirname(L.state);
const fileOf = (L: Layout, pid: number) => path.join(dirOf(L), `starting-${pid}.json`);

/** write this process's marker; returns the cleanup (the marker, and the folders it had to create) */
export async function markStarting(L: Layout, source: string, options: Record<string, unknown>): Promise<() => Promise<void>> {
  const rec: StartingRecord = { pid: process.pid, startTime: await startTimeOf(process.pid), host: hostname(), since: new Date().toISOString(), source, options };
  const made = await mkdir(dirOf(L), { recursive: true });
  await writeFileAtomic(fileOf(L, process.pid), JSON.stringify(rec) + '\n', 0o600);
  return async () => {
    await clearStarting(L);
    // a refused install on an empty root leaves it as it was: no var/lib/uphop of its own
    for (let d = dirOf(L); made && d.startsWith(made); d = path.dirname(d)) {
      if (
        !(await rmdir(d).then(
          () => true,
          () => false,
        ))
      )
        return;
    }
  };
}

export const clearStarting = (L: Layout, pid = process.pid) => rm(fileOf(L, pid), { force: true });

export interface Starts {
  /** other installs starting right now: leave their temp files alone */
  live: StartingRecord[];
  /** installs killed before their journal began */
  abandoned: StartingRecord[];
}

export async function readStarts(L: Layout): Promise<Starts> {
  const out: Starts = { live: [], abandoned: [] };
  for (const name of await readdir(dirOf(L)).catch(() => [] as string[])) {
    if (!/^starting-\d+\.json$/.test(name)) continue;
    let rec: StartingRecord;
    try {
      rec = JSON.parse(await readFile(path.join(dirOf(L), name), 'utf8')) as StartingRecord;
    } catch {
      continue; // written atomically: unreadable means it is being replaced; the next look sees it whole
    }
    if (rec.pid === process.pid && rec.host === hostname()) continue;
    const alive = rec.host !== hostname() || (await isSameProcess(rec.pid, rec.startTime));
    (alive ? out.live : out.abandoned).push(rec);
  }
  out.abandoned.sort((a, b) => a.since.localeCompare(b.since));
  return out;
}
