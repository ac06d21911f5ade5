/**
 * var/lib/uphop/agents/<target>.log: the rollouts to one version as JSON lines,
 * appended in the order things happen: a "started" line before a command goes to
 * an agent, its outcome when it ends, the pause/continue/abort phase. Each line is
 * one write(2), so a kill -9 loses nothing already written and the order is the
 * order of events (no snapshot can overwrite a newer one); fsync is batched (a
 * power cut may lose the last ~100 ms, and then the agents' own versions say the
 * rest). At the end of a run the log is compacted to one line per agent, so a
 * rollout writes O(N) bytes. A rerun skips the agents this log saw upgraded even
 * if the DB update after them was lost, and looks before commanding one it
 * started but saw no end of (in doubt). A `<target>.json` of older uphop versions
 * is read too.
 */
import { closeSync, fdatasync, openSync, writeSync } from 'node:fs';
import { createReadStream } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { writeFileAtomic } from '../drivers/fsutil.js';
import type { AgentOutcome } from './types.js';

export type Phase = 'paused' | 'continued' | 'aborted';

export interface RolloutProgress {
  target: string;
  bundle: string;
  started: string;
  /** the last outcome of each agent */
  outcomes: Map<string, AgentOutcome>;
  /** agents a command may have reached with no outcome recorded after it */
  inDoubt: Set<string>;
  /** the last pause/continue/abort of the rollout to this version */
  phase?: Phase;
}

type Line = { target: string; bundle: string; started: string } | { started: string; address: string } | { phase: Phase; at: string } | AgentOutcome;

/** the log next to where older versions kept <target>.json (Layout.agentsProgress) */
export const progressLogFile = (jsonFile: string) => jsonFile.replace(/\.json$/, '') + '.log';

export const emptyProgress = (target: string, bundle: string): RolloutProgress => ({ target, bundle, started: new Date().toISOString(), outcomes: new Map(), inDoubt: new Set() });

function apply(p: RolloutProgress, line: Line): void {
  if ('target' in line) Object.assign(p, { target: line.target, bundle: line.bundle, started: line.started });
  else if ('phase' in line) p.phase = line.phase;
  else if ('status' in line) {
    p.outcomes.set(line.id, line);
    p.inDoubt.delete(line.id);
  } else if (typeof line.started === 'string') p.inDoubt.add(line.started);
}

/** undefined when neither the log nor an older .json exists; a torn last line is ignored */
export async function readProgress(jsonFile: string): Promise<RolloutProgress | undefined> {
  let p: RolloutProgress | undefined;
  const legacy = await readFile(jsonFile, 'utf8').then(
    (t) => JSON.parse(t) as { target: string; bundle: string; started: string; outcomes: Record<string, AgentOutcome> },
    () => undefined,
  );
  if (legacy?.outcomes) {
    p = { ...emptyProgress(legacy.target, legacy.bundle), started: legacy.started };
    for (const o of Object.values(legacy.outcomes)) p.outcomes.set(o.id, o);
  }
  const stream = createReadStream(progressLogFile(jsonFile), 'utf8');
  const opened = await new Promise<boolean>((resolve) => stream.once('open', () => resolve(true)).once('error', () => resolve(false)));
  if (!opened) return p;
  p ??= emptyProgress('', '');
  for await (const text of createInterface({ input: stream, crlfDelay: Infinity })) {
    let line: Line;
    try {
      line = JSON.parse(text);
    } catch {
      continue;
    } // torn by a kill mid-write
    if (line && typeof line === 'object') apply(p, line);
  }
  return p;
}

/** flush to the disk after this many lines or this long, whichever comes first */
const SYNC_LINES = 256;
const SYNC_MS = 100;

/** appends to the log; every line also updates `progress`, which close() compacts the log to */
export class ProgressLog {
  private unsynced = 0;
  private timer?: NodeJS.Timeout;
  private syncing = false;

  private constructor(
    private readonly file: string,
    private fd: number | undefined,
    readonly progress: RolloutProgress,
  ) {}

  static async open(jsonFile: string, progress: RolloutProgress): Promise<ProgressLog> {
    const file = progressLogFile(jsonFile);
    await mkdir(path.dirname(file), { recursive: true });
    const log = new ProgressLog(file, openSync(file, 'a', 0o600), progress);
    log.write({ target: progress.target, bundle: progress.bundle, started: progress.started });
    return log;
  }

  /** before the command: if the process dies now, the next run knows the agent may have it */
  started(id: string, address: string): void {
    this.write({ started: id, address });
    this.progress.inDoubt.add(id);
  }

  outcome(o: AgentOutcome): void {
    this.write(o);
    this.progress.outcomes.set(o.id, o);
    this.progress.inDoubt.delete(o.id);
  }

  /** a phase is a decision an operator waits on: on the disk before anyone is told */
  phase(phase: Phase): void {
    this.write({ phase, at: new Date().toISOString() });
    this.progress.phase = phase;
    if (this.fd !== undefined) fdatasync(this.fd, () => {});
  }

  private write(line: Line): void {
    if (this.fd === undefined) throw new Error('the progress log is closed');
    writeSync(this.fd, JSON.stringify(line) + '\n');
    if (++this.unsynced >= SYNC_LINES) this.sync();
    else this.timer ??= setTimeout(() => this.sync(), SYNC_MS);
  }

  private sync(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.syncing || this.fd === undefined || this.unsynced === 0) return;
    this.unsynced = 0;
    this.syncing = true;
    fdatasync(this.fd, () => {
      this.syncing = false;
    });
  }

  /** rewrites the log as one line per agent (atomically), so reruns do not grow it without end */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
    const p = this.progress;
    const lines: Line[] = [{ target: p.target, bundle: p.bundle, started: p.started }, ...p.outcomes.values()];
    for (const id of p.inDoubt) lines.push({ started: id, address: '' });
    if (p.phase) lines.push({ phase: p.phase, at: new Date().toISOString() });
    await writeFileAtomic(this.file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n', 0o600);
  }
}
