import path from 'node:path';
import type { CommandDef } from '../command.js';
import type { ReportInfo } from '../../report/latest.js';
import { rootOption } from '../options.js';

interface Opts {
  root: string;
  open: boolean;
}

export const reportCommand: CommandDef<Opts, ReportInfo> = {
  name: 'report',
  command: 'report',
  describe: 'Print the path of the newest upgrade report (HTML, opens offline); --open shows it in a browser',
  builder: (y) => rootOption(y).option('open', { type: 'boolean', default: false, describe: 'open it with xdg-open when available' }),
  async run(o, ctx) {
    const { latestReport } = await import('../../report/latest.js');
    return { result: await latestReport({ root: path.resolve(ctx.cwd, o.root), open: o.open }) };
  },
  human: (r, o) => [r.html, ...(o.open && !r.opened ? ['(no xdg-open here: open the file above in a browser)'] : [])].join('\n'),
};
