import path from 'node:path';
import type { CommandDef } from '../command.js';
import type { ReportInfo } from '../../report/latest.js';
import { fmtMs, table } from '../format.js';
import { rootOption } from '../options.js';

interface Opts {
  root: string;
  open: boolean;
}

export const reportCommand: CommandDef<Opts, ReportInfo> = {
  name: 'report',
  command: 'report',
  describe:
    'Print the newest report (an install, upgrade, resume, rollback, rollout, rehearsal or test-path): steps, migrations, downtime, errors, and the path of its HTML page; --open shows the page in a browser',
  builder: (y) => rootOption(y).option('open', { type: 'boolean', default: false, describe: 'open it with xdg-open when available' }),
  async run(o, ctx) {
    const { latestReport } = await import('../../report/latest.js');
    return { result: await latestReport({ root: path.resolve(ctx.cwd, o.root), open: o.open }) };
  },
  human: (r, o) => reportText(r, o.open),
};

function reportText(r: ReportInfo, open: boolean): string {
  const steps = r.steps.map((s) => [s.step, s.status === 'end' ? '' : s.status, fmtMs(s.ms)]);
  const migrations = r.migrations.map((m) => [m.name, m.phase, m.status, fmtMs(m.ms)]);
  return [
    `${r.title} (${fmtMs(r.ms)}${r.downtimeMs ? `; downtime ${fmtMs(r.downtimeMs)}` : ''})`,
    ...Object.entries(r.facts).map(([k, v]) => `  ${k}: ${v}`),
    ...(r.agents?.total !== undefined ? [`  agents: ${r.agents.upgraded ?? 0} upgraded, ${r.agents.failed ?? 0} failed of ${r.agents.total}`] : []),
    ...(steps.length ? [table([['step', '', 'time'], ...steps])] : []),
    ...(migrations.length ? [table([['migration', 'phase', 'status', 'time'], ...migrations])] : []),
    ...r.warnings.map((w) => `warning: ${w}`),
    ...r.errors.flatMap((e) => [`error [${e.code}]${e.step ? ` at step "${e.step}"` : ''}: ${e.message}`, ...(e.hint ? [`  hint: ${e.hint}`] : [])]),
    `report: ${r.html}`,
    ...(open && !r.opened ? ['(no xdg-open here: open the file above in a browser)'] : []),
  ].join('\n');
}
