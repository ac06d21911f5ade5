/**
 * Runs a command's core function with its events recorded, then writes its report
 * (HTML + JSON) from those events: on success and on a failure that changed
 * something (exit 1). A refusal or bad input changed nothing and writes nothing,
 * nor does a dry run. Writing a report never fails the command it reports on.
 */
import { existsSync } from 'node:fs';
import { isUphopError, messageOf } from '../errors.js';
import type { Emit } from '../events.js';
import { buildReport } from './model.js';
import { recorder } from './record.js';
import { writeReport, type WrittenReport } from './store.js';
import type { ReportKind, RunRecord } from './types.js';

export type Summary = Omit<RunRecord, 'kind' | 'events' | 'started' | 'finished' | 'outcome' | 'error'> & { outcome?: RunRecord['outcome'] };

export interface ReportedOptions<R> {
  /** where the reports go (var/lib/uphop/reports of the manager, usually) */
  dir: string;
  /** the folder that must exist for a report to be written (the manager root) */
  root: string;
  kind: ReportKind;
  /** the file name's tail; from the events when only the run knows it (the journal resume picked up) */
  name: string | ((events: RunRecord['events']) => string);
  emit: Emit;
  /** what to say about the run; undefined: nothing worth a report (dry run, nothing to do) */
  summary(result: R | undefined, error: unknown, events: RunRecord['events']): Summary | undefined;
}

export async function reported<R>(o: ReportedOptions<R>, fn: (emit: Emit) => Promise<R>): Promise<{ result: R; report?: WrittenReport }> {
  const rec = recorder(o.emit);
  const started = Date.now();
  let result: R;
  try {
    result = await fn(rec.emit);
  } catch (e) {
    if (isUphopError(e) && e.exitCode === 1) {
      const error = { code: e.code, message: e.message, hint: e.hint };
      await write(o, rec.events, started, o.summary(undefined, e, rec.events), error);
    }
    throw e;
  }
  const report = await write(o, rec.events, started, o.summary(result, undefined, rec.events));
  return { result, report };
}

async function write(o: ReportedOptions<unknown>, events: RunRecord['events'], started: number, s: Summary | undefined, error?: RunRecord['error']): Promise<WrittenReport | undefined> {
  if (!s || !existsSync(o.root)) return undefined;
  try {
    const report = buildReport({ ...s, kind: o.kind, events, started, finished: Date.now(), outcome: error ? 'failed' : (s.outcome ?? 'succeeded'), error });
    const written = await writeReport(o.dir, report, typeof o.name === 'string' ? o.name : o.name(events));
    o.emit({ type: 'report', html: written.html, json: written.json });
    o.emit({ type: 'log', level: 'info', message: `report: ${written.html}` });
    return written;
  } catch (e) {
    o.emit({ type: 'log', level: 'warn', message: `could not write the report: ${messageOf(e)}` });
    return undefined;
  }
}
