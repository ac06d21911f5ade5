/**
 * The timeline as an SVG Gantt chart: one row per step (and per migration, under
 * its step), bars coloured by outcome, the downtime windows shaded across every
 * row. Plain SVG with a <title> per bar, so it reads without JavaScript.
 */
import { esc, fmtMs } from './escape.js';
import type { Report } from './types.js';

const W = 980;
const LABEL = 250;
const ROW = 20;
const TOP = 28;
const COLOURS: Record<string, string> = { end: '#2e7d32', fail: '#c62828', undo: '#ef6c00', skip: '#9e9e9e', running: '#757575', down: '#ef6c00' };

interface Row {
  label: string;
  start: number;
  end: number;
  colour: string;
  title: string;
  indent?: boolean;
}

export function ganttRows(r: Report): Row[] {
  const rows: Row[] = [];
  const hopLabel = (hop: number) => (r.hops.length > 1 && hop ? `${hop}. ` : '');
  for (const s of r.steps) {
    rows.push({
      label: `${hopLabel(s.hop)}${s.step}`,
      start: s.start,
      end: s.end,
      colour: COLOURS[s.status] ?? COLOURS.running,
      title: `${s.step}: ${s.status}, ${fmtMs(s.end - s.start)}${s.detail ? ` (${s.detail})` : ''}`,
    });
    if (!s.step.startsWith('migrate schema') && !s.step.startsWith('undo migrate schema')) continue;
    for (const m of r.migrations) {
      if (m.hop !== s.hop || m.start < s.start - 1 || m.start > s.end + 1) continue;
      rows.push({
        label: m.name,
        start: m.start,
        end: m.start + m.ms,
        colour: m.status === 'fail' ? COLOURS.fail : m.status === 'down' ? COLOURS.down : '#6a1b9a',
        title: `migration ${m.name} (${m.phase}): ${m.status}, ${fmtMs(m.ms)}`,
        indent: true,
      });
    }
  }
  return rows;
}

function ticks(total: number): number[] {
  const steps = [10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000];
  const step = steps.find((s) => total / s <= 8) ?? Math.ceil(total / 8);
  const out: number[] = [];
  for (let t = 0; t <= total; t += step) out.push(t);
  return out;
}

export function ganttSvg(r: Report): string {
  const rows = ganttRows(r);
  const total = Math.max(r.ms, ...rows.map((x) => x.end), 1);
  const x = (t: number) => LABEL + ((W - LABEL - 10) * t) / total;
  const h = TOP + rows.length * ROW + 10;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" class="gantt" width="${W}" height="${h}" viewBox="0 0 ${W} ${h}" role="img" aria-label="timeline of the steps">`);
  for (const t of ticks(total)) {
    out.push(`<line x1="${x(t).toFixed(1)}" y1="${TOP - 6}" x2="${x(t).toFixed(1)}" y2="${h - 8}" stroke="#e0e0e0"/>`);
    out.push(`<text x="${x(t).toFixed(1)}" y="${TOP - 10}" font-size="10" text-anchor="middle" fill="#616161">${esc(fmtMs(t))}</text>`);
  }
  for (const w of r.downtime) {
    const wx = x(w.start);
    const ww = Math.max(2, x(w.end) - wx);
    out.push(
      `<rect class="downtime" x="${wx.toFixed(1)}" y="${TOP - 4}" width="${ww.toFixed(1)}" height="${rows.length * ROW + 6}" fill="#ffcdd2" fill-opacity="0.55" stroke="#e57373"><title>${esc(`${w.label}: ${fmtMs(w.end - w.start)}${w.closed ? '' : ' (never healthy again in this run)'}`)}</title></rect>`,
    );
    out.push(`<text x="${(wx + 3).toFixed(1)}" y="${h - 1}" font-size="10" fill="#b71c1c">${esc(`${w.label} ${fmtMs(w.end - w.start)}`)}</text>`);
  }
  rows.forEach((row, i) => {
    const y = TOP + i * ROW;
    if (i % 2) out.push(`<rect x="0" y="${y}" width="${W}" height="${ROW}" fill="#000" fill-opacity="0.03"/>`);
    out.push(`<text x="${row.indent ? 18 : 6}" y="${y + 14}" font-size="${row.indent ? 11 : 12}" fill="${row.indent ? '#4a148c' : '#212121'}">${esc(clip(row.label, row.indent ? 36 : 38))}</text>`);
    const bx = x(row.start);
    const bw = Math.max(2, x(row.end) - bx);
    out.push(`<rect class="bar" x="${bx.toFixed(1)}" y="${y + 3}" width="${bw.toFixed(1)}" height="${ROW - 6}" rx="2" fill="${row.colour}"><title>${esc(row.title)}</title></rect>`);
    const dur = fmtMs(row.end - row.start);
    const after = bx + bw + 4;
    out.push(
      after + 50 < W
        ? `<text x="${after.toFixed(1)}" y="${y + 14}" font-size="10" fill="#424242">${esc(dur)}</text>`
        : `<text x="${(bx - 4).toFixed(1)}" y="${y + 14}" font-size="10" text-anchor="end" fill="#424242">${esc(dur)}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('\n');
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
