/**
 * state.json: what is installed (version, components, how to run and check its
 * services, the config checksums as written) and the history of hops. Written
 * atomically; it is the truth `status`, preflight and rollback start from.
 */
import { readFile } from 'node:fs/promises';
import { failure, messageOf } from '../errors.js';
import { writeFileAtomic } from '../drivers/fsutil.js';
import type { HealthCheck, ManifestComponent } from '../bundle/manifest.js';

export interface HopRecord {
  bundle: string;
  from: string;
  to: string;
  started: string;
  finished?: string;
  result: 'succeeded' | 'rolled-back' | 'failed' | 'interrupted';
  ms?: number;
  error?: string;
  /** the journal attempt this record closes (its "install begin" time): recovery matches them */
  attempt?: string;
}

export interface InstalledState {
  product: string;
  version: string;
  components: Record<string, Pick<ManifestComponent, 'version' | 'type' | 'service'>>;
  services: { order: string[]; health: HealthCheck[] };
  /** sha256 of each config as uphop last wrote it: a different file on disk was edited by the site */
  configs: Record<string, string>;
  /** release versions whose health checks passed: never pruned */
  good: Record<string, string>;
  history: HopRecord[];
}

export async function readState(file: string): Promise<InstalledState | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw failure('STATE_UNREADABLE', `Cannot read ${file}: ${messageOf(e)}.`, 'Check its permissions.');
  }
  try {
    return JSON.parse(text) as InstalledState;
  } catch {
    throw failure('STATE_CORRUPT', `${file} is not valid JSON.`, 'Restore it from var/lib/uphop/backups or ask support.');
  }
}

export const writeState = (file: string, state: InstalledState) => writeFileAtomic(file, JSON.stringify(state, null, 2) + '\n', 0o644);
