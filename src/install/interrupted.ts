/**
 * Find an install that began and neither finished nor rolled back (a crash, or
 * --no-rollback). Recovery reads in a fixed order: state.json first, then the
 * journals, so an attempt that state.json's last history record already closes
 * (killed after its commit, before the journal's final record) counts as finished.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { closedBy } from './commit.js';
import { readJournal, summarizeJournal, type JournalSummary } from './journal.js';
import type { Layout } from './layout.js';
import { readState } from './state.js';

export interface Interrupted extends JournalSummary {
  id: string;
  file: string;
}

export async function findInterrupted(L: Layout): Promise<Interrupted | undefined> {
  const state = await readState(L.state);
  let names: string[];
  try {
    names = (await readdir(L.journalDir)).filter((n) => n.endsWith('.jsonl')).sort();
  } catch {
    return undefined;
  }
  for (const name of names) {
    const file = path.join(L.journalDir, name);
    const id = name.slice(0, -'.jsonl'.length);
    const s = summarizeJournal(await readJournal(file));
    if (s.outcome || !s.begun.length) continue;
    const closed = closedBy(state, id, s.beganAt);
    // committed forward with no rollback begun since, or the rollback itself committed
    if ((closed === 'succeeded' && !s.undoing) || (closed === 'rolled-back' && s.undoing)) continue;
    return { ...s, id, file };
  }
  return undefined;
}
