/**
 * Events -> report: the steps as bars on one time axis, the downtime windows
 * (from "stop services" beginning to "health checks" ending, or to the old
 * services being back after a rollback), migrations with durations, the agents'
 * progress, and every error with its hint. Pure: the same events, the same report.
 * A run that picks up a journal (resume, rollback) may find the services already
 * down: its window opens when the run began; a rollback of a completed hop opens
 * it when the undo of "start services" stops the new ones.
 */
import type { TimedEvent } from './record.js';
import { reportTitle } from './title.js';
import type { MigrationRow, Report, ReportError, RolloutPoint, RunRecord, StepBar, Window } from './types.js';

const HOP_STEP = /^hop \d+\/\d+ /;
const WAVE = /^wave \d+\/\d+/;

interface Ev {
  type: string;
  t: number;
  [k: string]: unknown;
}

export function buildReport(run: RunRecord): Report {
  const t0 = run.started;
  const rel = (t: number) => Math.max(0, t - t0);
  const hops: Report['hops'] = [];
  const steps: StepBar[] = [];
  const downtime: Window[] = [];
  const migrations: MigrationRow[] = [];
  const warnings: string[] = [];
  const errors: ReportError[] = [];
  const open = new Map<string, StepBar>();
  const points: RolloutPoint[] = [];
  const waves: { t: number; label: string }[] = [];
  let hop = 0;
  let win: Window | undefined;
  let stopped = false; // this run began "stop services" itself
  const nothingBack = run.kind === 'rollback' && run.to === 'none'; // a fresh install rolled back: no old services to come back
  const openWindow = (start: number) => {
    win = { hop, label: hop ? `downtime, hop ${hop}` : 'downtime', start, end: start, closed: false };
    downtime.push(win);
  };
  const closeWindow = (t: number) => {
    if (!win) return;
    win.end = rel(t);
    win.closed = true;
    win = undefined;
  };
  for (const raw of run.events as TimedEvent[]) {
    const e = raw as unknown as Ev;
    if (e.type === 'step') {
      const name = String(e.step);
      const status = String(e.status);
      const ms = typeof e.ms === 'number' ? e.ms : 0;
      const detail = typeof e.detail === 'string' ? e.detail : undefined;
      if (HOP_STEP.test(name)) {
        if (status === 'begin') hops.push({ index: (hop = hops.length + 1), label: name.replace(/^hop /, ''), start: rel(e.t), end: rel(e.t), status: 'running' });
        else {
          const h = hops.find((x) => x.index === hop);
          if (h) Object.assign(h, { end: rel(e.t), status });
          if (status === 'fail') errors.push({ code: 'HOP_FAILED', message: `hop ${name.replace(/^hop /, '')}: ${detail ?? 'failed'}`, step: name });
        }
        continue;
      }
      if (status === 'begin') {
        const bar: StepBar = { hop, step: name, status: 'running', start: rel(e.t), end: rel(e.t) };
        open.set(name, bar);
        steps.push(bar);
        if (name === 'stop services') {
          stopped = true;
          openWindow(rel(e.t));
        }
        continue;
      }
      const bar = status === 'undo' || !open.has(name) ? undefined : open.get(name);
      open.delete(name);
      const end = rel(e.t);
      if (bar) Object.assign(bar, { status, end, detail });
      else steps.push({ hop, step: status === 'undo' ? `undo ${name}` : name, status: status as StepBar['status'], start: Math.max(0, end - ms), end, detail });
      if (status === 'fail') errors.push({ code: 'STEP_FAILED', message: `${name}: ${detail ?? 'failed'}`, step: name });
      if (!win && status === 'undo' && name === 'start services') openWindow(Math.max(0, end - ms));
      if (!win && !stopped && ((status === 'undo' && name === 'stop services') || (status === 'end' && name === 'health checks'))) openWindow(0);
      if ((name === 'health checks' && status === 'end') || (name === 'stop services' && status === 'undo' && !nothingBack)) closeWindow(e.t);
      if (name === 'health checks' && status === 'fail' && win) win.end = end;
      if (name === 'stop services' && win && status === 'fail') win.end = end;
    } else if (e.type === 'migration' && e.status !== 'begin') {
      const ms = typeof e.ms === 'number' ? e.ms : 0;
      migrations.push({ hop, name: String(e.name), phase: String(e.phase), status: String(e.status), ms, start: Math.max(0, rel(e.t) - ms) });
    } else if (e.type === 'log') {
      const msg = String(e.message);
      if (e.level === 'warn') warnings.push(msg);
      if (WAVE.test(msg)) waves.push({ t: rel(e.t), label: msg });
    } else if (e.type === 'progress' && e.task === 'agents') {
      const n = (v: unknown) => (typeof v === 'number' ? v : undefined);
      points.push({ t: rel(e.t), done: Number(e.done), total: n(e.total), upgraded: n(e.upgraded), failed: n(e.failed) });
    }
  }
  if (win) win.end = rel(run.finished); // never healthy again within this run
  for (const bar of steps) if (bar.status === 'running') bar.end = rel(run.finished);
  if (run.error) errors.push(run.error);
  const rollout =
    points.length || waves.length || run.agents ? { waves, points, upgraded: run.agents?.upgraded, failed: run.agents?.failed, total: run.agents?.total, message: run.agents?.message } : undefined;
  return {
    format: 1,
    kind: run.kind,
    title: reportTitle(run),
    product: run.product,
    from: run.from,
    to: run.to,
    outcome: run.outcome,
    started: new Date(run.started).toISOString(),
    finished: new Date(run.finished).toISOString(),
    ms: run.finished - run.started,
    hops,
    steps,
    downtime,
    downtimeMs: downtime.reduce((sum, w) => sum + (w.end - w.start), 0),
    migrations,
    configs: run.configs ?? [],
    rollout,
    errors: dedupe(errors),
    warnings,
    notes: run.notes ?? [],
    facts: run.facts ?? {},
    events: run.events,
  };
}

/** the run's own error usually repeats the failed step's message: keep the one with a hint */
function dedupe(errors: ReportError[]): ReportError[] {
  const out: ReportError[] = [];
  for (const e of errors) if (!out.some((o) => o.message === e.message && o.code === e.code)) out.push(e);
  return out;
}
