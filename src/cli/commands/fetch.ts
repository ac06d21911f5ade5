import path from 'node:path';
import type { CommandDef } from '../command.js';
import type { FetchResult } from '../../store/fetch.js';
import { fmtBytes } from '../format.js';
import { storeOptionsOf, withStoreOptions, type StoreCliOpts } from './store-options.js';

interface Opts extends StoreCliOpts {
  from: string;
  to: string;
  store: string;
  out: string;
  product?: string;
  trust?: string;
  allowUnsigned: boolean;
  home?: string;
  parallel: number;
}

export const fetchCommand: CommandDef<Opts, FetchResult> = {
  name: 'fetch',
  command: 'fetch',
  describe: 'Download the chain of bundles from one version to another, resumable and verified',
  builder: (y) =>
    withStoreOptions(
      y
        .option('from', { type: 'string', demandOption: true, describe: 'installed version, or "none" for a fresh install' })
        .option('to', { type: 'string', demandOption: true, describe: 'target version' })
        .option('store', { type: 'string', demandOption: true, describe: 'file:///dir, a folder, or s3://bucket/prefix' })
        .option('out', { type: 'string', demandOption: true, describe: 'folder to download into (partial downloads resume there)' })
        .option('product', { type: 'string', describe: 'product name when the catalog covers several' })
        .option('trust', { type: 'string', describe: 'publisher public key: checks the catalog and every bundle signature' })
        .option('allow-unsigned', { type: 'boolean', default: false, describe: 'accept an unsigned catalog or bundle (sha256 is still checked)' })
        .option('home', { type: 'string', describe: 'folder remembering catalog versions (default: UPHOP_HOME or ~/.uphop)' })
        .option('parallel', { type: 'number', default: 4, describe: 'ranged requests in flight per file' }),
    ),
  async run(o, ctx) {
    const abs = (p?: string) => (p === undefined ? undefined : path.resolve(ctx.cwd, p));
    const { fetchBundles } = await import('../../store/fetch.js');
    const result = await fetchBundles(
      {
        from: o.from,
        to: o.to,
        store: o.store,
        out: abs(o.out)!,
        product: o.product,
        trust: abs(o.trust),
        allowUnsigned: o.allowUnsigned,
        home: abs(o.home),
        concurrency: Math.max(1, Math.floor(o.parallel)),
        storeOptions: storeOptionsOf(o, ctx),
      },
      ctx.emit,
    );
    return { result };
  },
  human: (r) =>
    [
      ...r.bundles.map(
        (b) =>
          `${b.status.padEnd(10)} ${b.path}  ${fmtBytes(b.size)}${b.status === 'resumed' ? ` (${fmtBytes(b.fetched)} this time)` : ''}  ${b.signer ? `signed by ${b.signer}` : 'signature not checked'}`,
      ),
      `${r.bundles.length} bundle${r.bundles.length === 1 ? '' : 's'} for ${r.product} ${r.from} -> ${r.to} in ${r.out} (catalog version ${r.catalogVersion})`,
    ].join('\n'),
};
