/**
 * var/lib/uphop/agents/<target>.json (Layout.agentsProgress): every agent outcome of the rollouts to one
 * version, rewritten atomically after each agent. A rerun skips the agents this
 * file says were upgraded even if the DB update after them was lost (kill -9),
 * and `uphop agents` shows the last outcome of each.
 */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../drivers/fsutil.js';
import type { AgentOutcome } from './types.js';

export interface RolloutProgress {
  target: string;
  bundle: string;
  started: string;
  updated: string;
  outcomes: Record<string, AgentOutcome>;
}

export async function readProgress(file: string): Promise<RolloutProgress | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as RolloutProgress;
  } catch {
    return undefined; // missing or torn: the agents' own versions are the truth anyway
  }
}

export async function saveProgress(file: string, p: RolloutProgress): Promise<void> {
  await writeFileAtomic(file, JSON.stringify({ ...p, updated: new Date().toISOString() }, null, 2) + '\n', 0o600);
}
