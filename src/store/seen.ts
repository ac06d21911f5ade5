/**
 * The highest catalog version seen per store, so a replayed older catalog (an
 * attacker or a stale mirror serving yesterday's signed file) is refused.
 * Default ~/.uphop/catalogs.json; UPHOP_HOME or the --home option moves it.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../drivers/fsutil.js';

export interface SeenCatalog {
  version: number;
  seen: string;
}

export type SeenCatalogs = Record<string, SeenCatalog>;

export const uphopHome = (opt?: string, env: NodeJS.ProcessEnv = process.env) => opt ?? env.UPHOP_HOME ?? path.join(os.homedir(), '.uphop');

const fileOf = (home: string) => path.join(home, 'catalogs.json');

export async function loadSeen(home: string): Promise<SeenCatalogs> {
  try {
    return JSON.parse(await readFile(fileOf(home), 'utf8')) as SeenCatalogs;
  } catch {
    // missing or unreadable: nothing seen yet (a corrupt file must not block downloads forever)
    return {};
  }
}

export async function recordSeen(home: string, storeUrl: string, version: number, now = new Date()): Promise<void> {
  const all = await loadSeen(home);
  if ((all[storeUrl]?.version ?? 0) >= version) return;
  all[storeUrl] = { version, seen: now.toISOString() };
  await writeFileAtomic(fileOf(home), JSON.stringify(all, null, 2) + '\n', 0o644);
}
