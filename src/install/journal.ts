/**
 * The step journal of a running install: one JSON line per event, fsync'd before
 * the step's work goes on, so after kill -9 or power loss `resume` and `rollback`
 * know exactly which steps began and which ended.
 */
import { open, readFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { InstalledState } from './state.js';

export type JournalStatus = 'begin' | 'end' | 'undo-begin' | 'undo-end' | 'failed' | 'done' | 'rolled-back';

export interface JournalRecord {
  ts: string;
  step: string;
  status: JournalStatus;
  error?: string;
  /** set on the first record: the options the install ran with (resume reuses them) */
  options?: Record<string, unknown>;
  /** set on the first record: state.json as it was before (rollback returns to it) */
  prev?: InstalledState | null;
}

export class Journal {
  private constructor(
    readonly file: string,
    private readonly fd: import('node:fs/promises').FileHandle,
  ) {}

  static async open(file: string): Promise<Journal> {
    await mkdir(path.dirname(file), { recursive: true });
    // owner only: the recorded options name the --notify URL, which may carry a webhook token
    return new Journal(file, await open(file, 'a', 0o600));
  }

  /** append and fsync one record; returns its timestamp (an install's first one names the attempt) */
  async write(rec: Omit<JournalRecord, 'ts'>): Promise<string> {
    const ts = new Date().toISOString();
    await this.fd.write(JSON.stringify({ ts, ...rec }) + '\n');
    await this.fd.sync();
    return ts;
  }

  close() {
    return this.fd.close();
  }
}

export async function readJournal(file: string): Promise<JournalRecord[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: JournalRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      break; // a torn last line from a crash mid-write: everything before it stands
    }
  }
  return out;
}

export interface JournalSummary {
  /** when the last attempt began (its "install begin" record): the history names the attempt by it */
  beganAt?: string;
  begun: string[];
  ended: Set<string>;
  undone: Set<string>;
  outcome?: 'done' | 'rolled-back';
  options?: Record<string, unknown>;
  prev?: InstalledState | null;
  /** a rollback began (undo records): resuming forward is no longer possible */
  undoing: boolean;
  /** the step that failed last, with its error */
  failed?: { step: string; error?: string };
}

export function summarizeJournal(recs: JournalRecord[]): JournalSummary {
  let s: JournalSummary = { begun: [], ended: new Set(), undone: new Set(), undoing: false };
  for (const r of recs) {
    // a journal keeps every attempt at its bundle; only the last attempt counts
    if (r.step === 'install' && r.status === 'begin') s = { beganAt: r.ts, begun: [], ended: new Set(), undone: new Set(), undoing: false };
    if (r.options && !s.options) s.options = r.options;
    if (r.prev !== undefined && s.prev === undefined) s.prev = r.prev;
    if (r.status === 'failed') s.failed = { step: r.step, error: r.error };
    if (r.status === 'begin' && r.step !== 'install' && !s.begun.includes(r.step)) s.begun.push(r.step);
    if (r.status === 'end') s.ended.add(r.step);
    if (r.status === 'undo-end') s.undone.add(r.step);
    if (r.status === 'undo-begin') {
      s.undoing = true;
      // a rollback of the completed hop began: the attempt is open again until "rolled-back"
      if (s.outcome === 'done') s.outcome = undefined;
    }
    if (r.status === 'done' || r.status === 'rolled-back') s.outcome = r.status;
  }
  return s;
}
