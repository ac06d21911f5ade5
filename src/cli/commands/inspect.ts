import path from 'node:path';
import type { CommandDef } from '../command.js';
import { readManifest } from '../../bundle/read.js';
import { summarize, summaryText, type BundleSummary } from '../../bundle/summary.js';

interface Opts { bundle: string }

export const inspectCommand: CommandDef<Opts, BundleSummary> = {
  name: 'inspect',
  command: 'inspect <bundle>',
  describe: 'Show what a bundle does: versions, components, migrations, configs, services, agents, signer',
  builder: (y) => y.positional('bundle', { type: 'string', demandOption: true, describe: 'bundle file (.tar.gz)' }),
  async run(o, ctx) {
    const { manifest, signature } = await readManifest(path.resolve(ctx.cwd, o.bundle));
    return { result: summarize(manifest, !!signature) };
  },
  human: (s) => summaryText(s),
};
