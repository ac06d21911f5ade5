import path from 'node:path';
import type { CommandDef } from '../command.js';
import { usageError } from '../../errors.js';
import type { HopResult, InitResult } from '../../init/index.js';

interface Opts {
  dir?: string;
  product?: string;
  version?: string;
  db?: string;
  hop?: string[];
}
type Result = { project: InitResult } | { hop: HopResult };

export const initCommand: CommandDef<Opts, Result> = {
  name: 'init',
  command: 'init [dir]',
  describe: 'Start a project for your own product (builds and installs as written), or add its next hop',
  builder: (y) =>
    y
      // --version here is the product's first version, not uphop's own
      .version(false)
      .positional('dir', { type: 'string', describe: 'the new project folder (default: .); with --hop, the project' })
      .option('product', { type: 'string', describe: 'product name: lowercase letters, digits, "-"' })
      .option('version', { type: 'string', describe: 'the first version (default 1.0.0)' })
      .option('db', { type: 'string', describe: "sqlite (default), postgres or mysql: the sample values' database" })
      .option('hop', { type: 'string', array: true, nargs: 2, describe: 'FROM TO: add bundles/FROM-to-TO/, copied from the last hop' }),
  async run(o, ctx) {
    const dir = path.resolve(ctx.cwd, o.dir ?? '.');
    const init = await import('../../init/index.js');
    if (o.hop !== undefined) {
      if (o.hop.length !== 2) throw usageError('USAGE', '--hop takes two versions, FROM and TO.', 'Example: uphop init --hop 1.0.0 1.1.0');
      if (o.product || o.version || o.db)
        throw usageError('USAGE', '--hop copies the last hop: --product, --version and --db do not apply.', 'Drop them, or run uphop init without --hop for a new project.');
      return { result: { hop: await init.addHop(dir, o.hop[0], o.hop[1]) } };
    }
    return { result: { project: await init.initProject({ dir, product: o.product, version: o.version, db: o.db }) } };
  },
  human: (r) => {
    if ('hop' in r) {
      const h = r.hop;
      return [
        `created ${h.dir} (from ${path.basename(h.copiedFrom)}: ${h.bumped.length ? `${h.bumped.join(', ')} at ${h.to}` : 'no component was at ' + h.from})`,
        `  put the migrations of ${h.to} in the migrations folder's ${h.to}/, then: uphop build --all --out out`,
      ].join('\n');
    }
    const p = r.project;
    return [`created ${p.product} ${p.version} (${p.db}) in ${p.dir}:`, ...p.files.map((f) => `  ${f}`), 'try it (README.md says what to edit next):', ...p.next.map((c) => `  ${c}`)].join('\n');
  },
};
