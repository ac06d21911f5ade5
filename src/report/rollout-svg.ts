/** The agent rollout over time: agents done (a step line), each wave's start marked. */
import { esc, fmtMs } from './escape.js';
import type { Report } from './types.js';

export function rolloutSvg(rollout: NonNullable<Report['rollout']>): string {
  const W = 980;
  const H = 160;
  const L = 50;
  const pts = rollout.points;
  const total = Math.max(rollout.total ?? 0, ...pts.map((p) => p.total ?? p.done), 1);
  const t0 = Math.min(...pts.map((p) => p.t), ...rollout.waves.map((w) => w.t));
  const t1 = Math.max(...pts.map((p) => p.t), ...rollout.waves.map((w) => w.t), t0 + 1);
  const x = (t: number) => L + ((W - L - 20) * (t - t0)) / (t1 - t0);
  const y = (n: number) => H - 25 - ((H - 45) * n) / total;
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" class="rollout" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="agents upgraded over time">`];
  out.push(`<line x1="${L}" y1="${y(0)}" x2="${W - 20}" y2="${y(0)}" stroke="#9e9e9e"/><line x1="${L}" y1="${y(0)}" x2="${L}" y2="${y(total)}" stroke="#9e9e9e"/>`);
  out.push(`<text x="${L - 6}" y="${y(total) + 4}" font-size="10" text-anchor="end">${total}</text><text x="${L - 6}" y="${y(0) + 4}" font-size="10" text-anchor="end">0</text>`);
  for (const w of rollout.waves) {
    out.push(`<line x1="${x(w.t).toFixed(1)}" y1="${y(total)}" x2="${x(w.t).toFixed(1)}" y2="${y(0)}" stroke="#1565c0" stroke-dasharray="3 3"><title>${esc(w.label)}</title></line>`);
    out.push(`<text x="${(x(w.t) + 3).toFixed(1)}" y="${y(total) - 4}" font-size="10" fill="#1565c0">${esc(w.label.split(':')[0])}</text>`);
  }
  if (pts.length) {
    const d = [`M${x(t0).toFixed(1)},${y(0)}`];
    for (const p of pts) d.push(`H${x(p.t).toFixed(1)}`, `V${y(p.done).toFixed(1)}`);
    out.push(`<path d="${d.join(' ')}" fill="none" stroke="#2e7d32" stroke-width="2"><title>agents done</title></path>`);
  }
  // the failed agents as a second line, when any failed
  if (pts.some((p) => p.failed)) {
    const d = [`M${x(t0).toFixed(1)},${y(0)}`];
    for (const p of pts) d.push(`H${x(p.t).toFixed(1)}`, `V${y(p.failed ?? 0).toFixed(1)}`);
    out.push(`<path class="failed" d="${d.join(' ')}" fill="none" stroke="#c62828" stroke-width="2"><title>agents failed</title></path>`);
  }
  out.push(`<text x="${L}" y="${H - 6}" font-size="10" fill="#616161">${esc(`0 … ${fmtMs(t1 - t0)} after the first agent`)}</text>`);
  out.push('</svg>');
  return out.join('\n');
}
