/**
 * The report as one self-contained HTML page: inline CSS and SVG, no script, no
 * external asset, so it opens offline from a support ticket or a CI artifact.
 */
import { esc, fmtMs } from './escape.js';
import { ganttSvg } from './gantt.js';
import { rolloutSvg } from './rollout-svg.js';
import { headline } from './title.js';
import type { Report } from './types.js';

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#212121;margin:24px auto;max-width:1000px;padding:0 12px;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:22px 0 8px;border-bottom:1px solid #e0e0e0;padding-bottom:3px}
.badge{display:inline-block;padding:2px 10px;border-radius:10px;color:#fff;font-weight:600;font-size:13px}
.succeeded{background:#2e7d32}.failed{background:#c62828}
table{border-collapse:collapse;width:100%;font-size:13px}td,th{border-bottom:1px solid #eee;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#fafafa}td.num{text-align:right;font-variant-numeric:tabular-nums}
.kpi{display:flex;gap:14px;flex-wrap:wrap;margin:12px 0}.kpi div{background:#f5f5f5;border-radius:6px;padding:8px 14px}.kpi b{display:block;font-size:18px}
.err{background:#ffebee;border-left:4px solid #c62828;padding:6px 10px;margin:6px 0}.err code{font-weight:700}
.warn{background:#fff8e1;border-left:4px solid #f9a825;padding:4px 10px;margin:4px 0}
.legend span{display:inline-block;margin-right:14px;font-size:12px}.legend i{display:inline-block;width:12px;height:10px;margin-right:4px;vertical-align:middle}
svg{max-width:100%;height:auto;font-family:inherit}
`;

const legend = `<div class="legend"><span><i style="background:#2e7d32"></i>done</span><span><i style="background:#c62828"></i>failed</span><span><i style="background:#ef6c00"></i>undone</span><span><i style="background:#6a1b9a"></i>migration</span><span><i style="background:#ffcdd2;border:1px solid #e57373"></i>downtime (stop services -> healthy)</span></div>`;

const WORD: Record<string, string> = { end: 'done', fail: 'failed', undo: 'undone', down: 'reverted', running: 'not finished' };
const word = (s: string) => WORD[s] ?? s;

function table(head: string[], rows: (string | number)[][], numeric: number[] = []): string {
  if (!rows.length) return '<p>none</p>';
  const cell = (v: string | number, i: number) => `<td${numeric.includes(i) ? ' class="num"' : ''}>${esc(v)}</td>`;
  const header = head.some(Boolean) ? `<tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>` : '';
  return `<table>${header}${rows.map((r) => `<tr>${r.map(cell).join('')}</tr>`).join('')}</table>`;
}

export function reportHtml(r: Report): string {
  const kpis: [string, string][] = [
    ['outcome', r.outcome],
    ['total time', fmtMs(r.ms)],
    ['downtime', r.downtime.length ? fmtMs(r.downtimeMs) : 'none'],
    ['migrations', String(r.migrations.filter((m) => m.status === 'end').length)],
    ['errors', String(r.errors.length)],
  ];
  const reverted = r.migrations.filter((m) => m.status === 'down').length;
  if (reverted) kpis.splice(4, 0, ['reverted', String(reverted)]);
  const parts = [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(r.title)}</title><style>${CSS}</style></head><body>`,
    `<h1>${esc(headline(r).replace(/ -> /, ' → '))} <span class="badge ${r.outcome}">${esc(r.kind)} ${esc(r.outcome)}</span></h1>`,
    `<div>${esc(r.started)} – ${esc(r.finished)}</div>`,
    ...r.notes.map((n) => `<p>${esc(n)}</p>`),
    `<div class="kpi">${kpis.map(([k, v]) => `<div>${esc(k)}<b>${esc(v)}</b></div>`).join('')}</div>`,
  ];
  if (r.errors.length) {
    parts.push('<h2>Errors and what to do next</h2>');
    for (const e of r.errors) parts.push(`<div class="err"><code>${esc(e.code)}</code> ${esc(e.message)}${e.hint ? `<br>next: ${esc(e.hint)}` : ''}</div>`);
  }
  if (Object.keys(r.facts).length) parts.push('<h2>Facts</h2>', table(['', ''], Object.entries(r.facts)));
  if (r.hops.length)
    parts.push(
      '<h2>Hops</h2>',
      table(
        ['#', 'hop', 'result', 'time'],
        r.hops.map((h) => [h.index, h.label, word(h.status), fmtMs(h.end - h.start)]),
        [3],
      ),
    );
  parts.push('<h2>Timeline</h2>', legend, ganttSvg(r));
  parts.push(
    '<h2>Migrations</h2>',
    table(
      ['name', 'phase', 'result', 'duration'],
      r.migrations.map((m) => [m.name, m.phase, m.status === 'end' ? 'applied' : word(m.status), fmtMs(m.ms)]),
      [3],
    ),
  );
  parts.push(
    '<h2>Configs</h2>',
    table(
      ['file', 'action', 'new version'],
      r.configs.map((c) => [c.dest, c.action, c.newFile ?? '']),
    ),
  );
  if (r.rollout) {
    const counts = [r.rollout.upgraded, r.rollout.failed, r.rollout.total].every((n) => n !== undefined) ? `${r.rollout.upgraded} upgraded, ${r.rollout.failed} failed of ${r.rollout.total}` : '';
    parts.push('<h2>Agent rollout</h2>', `<p>${esc([counts, r.rollout.message].filter(Boolean).join('. '))}</p>`);
    if (r.rollout.points.length || r.rollout.waves.length) parts.push(rolloutSvg(r.rollout));
  }
  if (r.warnings.length) parts.push('<h2>Warnings</h2>', ...r.warnings.map((w) => `<div class="warn">${esc(w)}</div>`));
  parts.push(
    '<h2>Steps</h2>',
    table(
      ['step', 'result', 'started', 'duration', 'detail'],
      r.steps.map((s) => [s.step, word(s.status), `+${fmtMs(s.start)}`, fmtMs(s.end - s.start), s.detail ?? '']),
      [3],
    ),
  );
  parts.push(`<p style="color:#757575;font-size:12px">uphop report (format ${r.format}); the same data is in the .json file beside this one.</p>`, '</body></html>');
  return parts.join('\n');
}
