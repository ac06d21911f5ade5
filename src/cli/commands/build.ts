import path from 'node:path';
import type { CommandDef } from '../command.js';
import type { BuiltBundle } from '../../build/index.js';
import { usageError } from '../../errors.js';
import { fmtBytes } from '../format.js';

interface Opts {
  hops: string[];
  all: boolean;
  artifacts?: string;
  out: string;
  signKey?: string;
  level: number;
  project?: string;
}

export const buildCommand: CommandDef<Opts, { bundles: BuiltBundle[] }> = {
  name: 'build',
  command: 'build [hops..]',
  describe: 'Build one signed, reproducible bundle per hop spec folder',
  builder: (y) =>
    y
      .positional('hops', { type: 'string', array: true, describe: 'hop folders holding bundle.yaml' })
      .option('all', { type: 'boolean', default: false, describe: 'every hop folder under ./bundles' })
      .option('project', { type: 'string', describe: 'with --all: the folder holding bundles/ (default: .)' })
      .option('artifacts', { type: 'string', describe: 'folder of component packages (${artifacts}; default <project>/artifacts)' })
      .option('out', { type: 'string', default: 'out', describe: 'folder to write bundles to' })
      .option('sign-key', { type: 'string', describe: 'ed25519 private key (uphop keygen) to sign bundle.json' })
      // 5, not gzip's 6: 1% larger, about 15% less CPU, so a build stays within tar -czf's time on a busy CI host
      .option('level', { type: 'number', default: 5, describe: 'deflate level for compressible files (1-9)' }),
  async run(o, ctx) {
    if (o.all && o.hops?.length) throw usageError('USAGE', 'Pass hop folders or --all, not both.', 'Drop one of them.');
    if (!Number.isInteger(o.level) || o.level < 1 || o.level > 9) throw usageError('USAGE', `--level must be a whole number from 1 to 9, not ${o.level}.`, 'The default, 5, suits most builds.');
    const abs = (p?: string) => (p === undefined ? undefined : path.resolve(ctx.cwd, p));
    // loaded on use: the CLI starts fast whatever command runs
    const { buildBundles } = await import('../../build/index.js');
    const bundles = await buildBundles({
      hops: (o.hops ?? []).map((h) => path.resolve(ctx.cwd, h)),
      all: o.all,
      project: abs(o.project) ?? ctx.cwd,
      artifacts: abs(o.artifacts),
      out: abs(o.out)!,
      signKey: abs(o.signKey),
      level: o.level,
      env: ctx.env,
      emit: ctx.emit,
    });
    return { result: { bundles } };
  },
  human: ({ bundles }) =>
    bundles
      .map(
        (b) =>
          `${b.path}\n  sha256 ${b.sha256}  ${fmtBytes(b.size)}  ${b.files} files  ${b.signed ? `signed by ${b.signer}` : 'UNSIGNED'}${b.reproducible ? '' : '  (not reproducible: set SOURCE_DATE_EPOCH)'}${b.sig ? `\n  ${b.sig}` : ''}`,
      )
      .join('\n'),
};
