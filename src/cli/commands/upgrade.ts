import path from 'node:path';
import type { CommandDef } from '../command.js';
import { parseDuration } from '../../spec/duration.js';
import type { UpgradeResult } from '../../upgrade/index.js';
import { fmtBytes, fmtMs, table } from '../format.js';
import { rolloutText } from './agents.js';
import { checkNotifyUrl, withApplyOptions } from './install.js';
import { rootOption } from '../options.js';
import { storeOptionsOf, withStoreOptions, type StoreCliOpts } from './store-options.js';

interface Opts extends StoreCliOpts {
  to: string;
  store: string;
  root: string;
  trust?: string;
  allowUnsigned: boolean;
  values?: string;
  dryRun: boolean;
  rollback: boolean;
  notify?: string;
  cache?: string;
  product?: string;
  home?: string;
  parallel?: number;
  ignorePreflight?: string[];
  stopTimeout?: string;
  agents: boolean;
}

export const upgradeCommand: CommandDef<Opts, UpgradeResult> = {
  name: 'upgrade',
  command: 'upgrade',
  describe: 'On a manager: plan the hops to a version from a store, download them, and install each in order',
  builder: (y) =>
    withStoreOptions(
      withApplyOptions(
        rootOption(y)
          .option('to', { type: 'string', demandOption: true, describe: 'target version, or "latest"' })
          .option('store', { type: 'string', demandOption: true, describe: 'file:///dir, a folder, or s3://bucket/prefix' })
          .option('trust', { type: 'string', describe: 'publisher public key: checks the catalog and every bundle' })
          .option('allow-unsigned', { type: 'boolean', default: false, describe: 'accept an unsigned catalog or bundle (sha256 is still checked)' })
          .option('values', { type: 'string', describe: 'site values (YAML); needed when nothing is installed yet' })
          .option('dry-run', { type: 'boolean', default: false, describe: 'show the hops, their sizes and what is already downloaded; change nothing' })
          .option('cache', { type: 'string', describe: 'download folder (default <root>/var/lib/uphop/downloads; kept when given)' })
          .option('product', { type: 'string', describe: 'product name when the catalog covers several' })
          .option('home', { type: 'string', describe: 'folder remembering catalog versions (default <root>/var/lib/uphop)' })
          .option('parallel', { type: 'number', describe: 'ranged requests in flight per file (default: adaptive)' }),
      ),
    ),
  async run(o, ctx) {
    const abs = (p?: string) => (p === undefined ? undefined : path.resolve(ctx.cwd, p));
    checkNotifyUrl(o.notify);
    const { upgrade } = await import('../../upgrade/index.js');
    const { reportUpgrade } = await import('../../report/apply.js');
    const { result, report } = await reportUpgrade({ root: abs(o.root)!, to: o.to, emit: ctx.emit }, (emit) =>
      upgrade({
        to: o.to,
        store: o.store,
        root: abs(o.root)!,
        trust: abs(o.trust),
        allowUnsigned: o.allowUnsigned,
        values: abs(o.values),
        dryRun: o.dryRun,
        noRollback: !o.rollback,
        notify: o.notify,
        cache: abs(o.cache),
        product: o.product,
        home: abs(o.home),
        storeOptions: storeOptionsOf(o, ctx),
        concurrency: o.parallel === undefined ? undefined : Math.max(1, Math.floor(o.parallel)),
        ignorePreflight: o.ignorePreflight,
        stopTimeoutMs: o.stopTimeout === undefined ? undefined : parseDuration(o.stopTimeout),
        emit,
        agents: o.agents,
      }),
    );
    return { result: report ? { ...result, report: report.html } : result, exitCode: result.agents?.outcome === 'stopped' ? 1 : 0 };
  },
  human: (r) => {
    if (r.outcome === 'nothing-to-do') return r.message;
    const cached = (h: UpgradeResult['hops'][number]) => (h.cached === 'partial' ? `partial (${fmtBytes(h.cachedBytes)})` : h.cached);
    const rows = r.hops.map((h, i) => [
      `${i + 1}.`,
      `${h.from} -> ${h.to}`,
      h.file,
      fmtBytes(h.size),
      r.outcome === 'dry-run' ? cached(h) : `${h.install}${h.ms === undefined ? '' : ` (${fmtMs(h.ms)})`}`,
    ]);
    const head =
      r.outcome === 'dry-run'
        ? `${r.product} ${r.from} -> ${r.to}: ${r.hops.length} hop(s) from ${r.store}; ${fmtBytes(r.bytes)} to download into ${r.cache}`
        : `${r.product} ${r.from} -> ${r.to} from ${r.store} (${fmtBytes(r.bytes)} downloaded)`;
    const agents = r.agents ? [rolloutText(r.agents)] : [];
    return [head, table([['', 'hop', 'bundle', 'size', r.outcome === 'dry-run' ? 'in cache' : 'install'], ...rows]), `${r.message} (${fmtMs(r.ms)})`, ...agents].join('\n');
  },
};
