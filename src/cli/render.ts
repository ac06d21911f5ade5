/**
 * Turns core events into what a person or a script sees: JSON lines with --json,
 * a progress bar and step lines on a TTY, step lines only otherwise.
 */
import type { Emit, UphopEvent } from '../events.js';
import { fmtBytes, fmtMs } from './format.js';

export interface Sink {
  write(text: string): void;
  isTTY?: boolean;
}

export function progressLine(e: { task: string; done: number; total?: number; unit?: string; upgraded?: unknown; failed?: unknown; offline?: unknown }, width = 30, rate?: number): string {
  const fmt = e.unit === 'bytes' ? fmtBytes : String;
  const rateText = rate ? (e.unit === 'bytes' ? ` ${fmtBytes(rate)}/s` : ` ${rate.toFixed(rate < 10 ? 1 : 0)}/s`) : '';
  // an agent rollout says how its agents ended so far
  const counts = typeof e.upgraded === 'number' ? ` (${e.upgraded} upgraded, ${e.failed} failed, ${e.offline} offline)` : '';
  if (counts) return progressLine({ task: e.task, done: e.done, total: e.total, unit: e.unit }, width, rate) + counts;
  if (!e.total) return `${e.task} ${fmt(e.done)}${rateText}`;
  const share = Math.min(1, e.done / e.total);
  const filled = Math.round(share * width);
  const eta = rate && e.unit === 'bytes' && rate > 0 ? ` eta ${Math.ceil((e.total - e.done) / rate)}s` : '';
  return `${e.task} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}% ${fmt(e.done)}/${fmt(e.total)}${rateText}${eta}`;
}

export function createRenderer(err: Sink, opts: { json: boolean; verbose: boolean; now?: () => number }): Emit {
  const now = opts.now ?? Date.now;
  const starts = new Map<string, { t: number; done: number }>();
  let barShown = false;
  const clearBar = () => {
    if (barShown) err.write('\r\x1b[2K');
    barShown = false;
  };
  return (e: UphopEvent) => {
    if (opts.json) {
      err.write(JSON.stringify({ ...e, ts: new Date(now()).toISOString() }) + '\n');
      return;
    }
    if (e.type === 'progress') {
      if (!err.isTTY) return;
      const p = e as Extract<UphopEvent, { type: 'progress' }>;
      const s = starts.get(p.task) ?? { t: now(), done: p.done };
      starts.set(p.task, s);
      const secs = (now() - s.t) / 1000;
      const rate = secs > 0.5 ? (p.done - s.done) / secs : undefined;
      err.write('\r\x1b[2K' + progressLine(p, 30, rate));
      barShown = true;
      return;
    }
    const line = describeEvent(e, opts.verbose);
    if (line === undefined) return;
    clearBar();
    err.write(line + '\n');
  };
}

function describeEvent(e: UphopEvent, verbose: boolean): string | undefined {
  switch (e.type) {
    case 'step': {
      const s = e as Extract<UphopEvent, { type: 'step' }>;
      if (s.status === 'begin') return verbose ? `… ${s.step}` : undefined;
      const mark = { end: 'ok  ', skip: 'skip', fail: 'FAIL', undo: 'undo' }[s.status];
      const ms = s.ms === undefined ? '' : ` (${fmtMs(s.ms)})`;
      return `${mark} ${s.step}${ms}${s.detail ? `: ${s.detail}` : ''}`;
    }
    case 'log': {
      const l = e as Extract<UphopEvent, { type: 'log' }>;
      return l.level === 'warn' ? `warning: ${l.message}` : l.message;
    }
    default:
      return verbose ? `${e.type} ${JSON.stringify(e)}` : undefined;
  }
}
