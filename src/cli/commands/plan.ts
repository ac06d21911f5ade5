import path from 'node:path';
import type { CommandDef } from '../command.js';
import type { PlanResult } from '../../plan/plan.js';
import { fmtBytes } from '../format.js';
import { storeOptionsOf, withStoreOptions, type StoreCliOpts } from './store-options.js';

interface Opts extends StoreCliOpts {
  from?: string;
  to: string;
  store?: string;
  bundles?: string;
  root?: string;
  product?: string;
  trust?: string;
  home?: string;
}

export const planCommand: CommandDef<Opts, PlanResult> = {
  name: 'plan',
  command: 'plan',
  describe: 'Show the chain of bundles (fewest hops) that upgrades from one version to another',
  builder: (y) =>
    withStoreOptions(
      y
        .option('from', { type: 'string', describe: 'installed version, or "none" for a fresh install (default: the version under --root)' })
        .option('to', { type: 'string', demandOption: true, describe: 'target version, or "latest"' })
        .option('store', { type: 'string', describe: "plan from this store's catalog (file:///dir or s3://bucket/prefix)" })
        .option('bundles', { type: 'string', describe: 'plan from the bundle files in this folder' })
        .option('root', { type: 'string', describe: 'manager root: read the installed version from var/lib/uphop/state.json' })
        .option('product', { type: 'string', describe: 'product name when the hops cover several' })
        .option('trust', { type: 'string', describe: "publisher public key: check the catalog's signature" })
        .option('home', { type: 'string', describe: 'folder remembering catalog versions (default: UPHOP_HOME or ~/.uphop)' }),
    ),
  async run(o, ctx) {
    const abs = (p?: string) => (p === undefined ? undefined : path.resolve(ctx.cwd, p));
    const { plan } = await import('../../plan/plan.js');
    const result = await plan(
      {
        from: o.from,
        to: o.to,
        store: o.store,
        bundles: abs(o.bundles),
        root: abs(o.root),
        product: o.product,
        trust: abs(o.trust),
        home: abs(o.home),
        storeOptions: storeOptionsOf(o, ctx),
      },
      ctx.emit,
    );
    return { result };
  },
  human: (r) => {
    if (!r.hops.length) return `${r.product} ${r.from} is already ${r.to}: nothing to do.`;
    const lines = r.hops.map((h, i) => `${String(i + 1).padStart(2)}. ${h.from} -> ${h.to}  ${h.file}${h.size ? `  ${fmtBytes(h.size)}` : ''}`);
    const total = r.totalBytes ? `, ${fmtBytes(r.totalBytes)}` : '';
    return [`${r.product} ${r.from} -> ${r.to}: ${r.hops.length} hop${r.hops.length > 1 ? 's' : ''}${total} (from ${r.source})`, ...lines].join('\n');
  },
};
