import path from 'node:path';
import type { CommandDef } from '../command.js';
import type { SupportBundleResult } from '../../support/index.js';
import { rootOption } from '../options.js';

interface Opts {
  root: string;
  out?: string;
}

export const supportBundleCommand: CommandDef<Opts, SupportBundleResult> = {
  name: 'support-bundle',
  command: 'support-bundle',
  describe: 'Write one tar.gz for support: state, history, journals, migrations, preflight, reports, log tails, manifests, platform; secrets scrubbed',
  builder: (y) => rootOption(y).option('out', { type: 'string', describe: 'the archive to write (default ./uphop-support-<product>-<time>.tar.gz)' }),
  async run(o, ctx) {
    const { supportBundle } = await import('../../support/index.js');
    return { result: await supportBundle({ root: path.resolve(ctx.cwd, o.root), out: o.out && path.resolve(ctx.cwd, o.out), emit: ctx.emit }) };
  },
  human: (r) => r.message,
};
