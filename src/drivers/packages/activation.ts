/**
 * The last activation of a component (.activation.json beside `current`), written
 * before the symlink swap: if the installer dies right after the swap, a re-run of
 * activate still knows what was active before, so the undo goes to the right place.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../fsutil.js';
import { componentDir, type ComponentRef } from '../layout.js';

export interface ActivationRecord {
  version: string;
  previous?: string;
}

const file = (dir: string) => path.join(dir, '.activation.json');

export async function readActivation(root: string, c: ComponentRef, dir = componentDir(root, c)): Promise<ActivationRecord | null> {
  try {
    const rec = JSON.parse(await fs.readFile(file(dir), 'utf8')) as { version?: unknown; previous?: unknown };
    if (typeof rec.version !== 'string') return null;
    return { version: rec.version, previous: typeof rec.previous === 'string' ? rec.previous : undefined };
  } catch {
    return null; // absent or torn by an older crash: treated as no record
  }
}

export const recordActivation = (root: string, c: ComponentRef, rec: ActivationRecord, dir = componentDir(root, c)) =>
  writeFileAtomic(file(dir), `${JSON.stringify({ version: rec.version, previous: rec.previous ?? null })}\n`);

export const clearActivation = (root: string, c: ComponentRef, dir = componentDir(root, c)) => fs.rm(file(dir), { force: true });
