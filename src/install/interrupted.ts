/** Find an install that began and neither finished nor rolled back (a crash, or --no-rollback). */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { readJournal, summarizeJournal, type JournalSummary } from './journal.js';
import type { Layout } from './layout.js';

export interface Interrupted extends JournalSummary {
  id: string;
  file: string;
}

export async function findInterrupted(L: Layout): Promise<Interrupted | undefined> {
  let names: string[];
  try {
    names = (await readdir(L.journalDir)).filter((n) => n.endsWith('.jsonl')).sort();
  } catch {
    return undefined;
  }
  for (const name of names) {
    const file = path.join(L.journalDir, name);
    const s = summarizeJournal(await readJournal(file));
    if (!s.outcome && s.begun.length) return { ...s, id: name.slice(0, -'.jsonl'.length), file };
  }
  return undefined;
}
