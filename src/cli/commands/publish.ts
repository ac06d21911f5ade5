import path from 'node:path';
import type { CommandDef } from '../command.js';
import { usageError } from '../../errors.js';
import type { PublishResult } from '../../store/publish.js';
import { DEFAULT_EXPIRES_DAYS } from '../../store/defaults.js';
import { fmtBytes } from '../format.js';
import { storeOptionsOf, withStoreOptions, type StoreCliOpts } from './store-options.js';

interface Opts extends StoreCliOpts {
  bundles?: string[];
  store: string;
  signKey?: string;
  replace: boolean;
  expiresDays: number;
}

export const publishCommand: CommandDef<Opts, PublishResult> = {
  name: 'publish',
  command: 'publish [bundles..]',
  describe: 'Upload bundles to a store (file:///dir or s3://bucket/prefix) and update its signed catalog',
  builder: (y) =>
    withStoreOptions(
      y
        .positional('bundles', { type: 'string', array: true, describe: 'bundle files; none = re-sign the catalog with a fresh expiry' })
        .option('store', { type: 'string', demandOption: true, describe: 'file:///dir, a folder, or s3://bucket/prefix' })
        .option('sign-key', { type: 'string', describe: 'ed25519 private key (uphop keygen) that signs catalog.json' })
        .option('replace', { type: 'boolean', default: false, describe: 'allow a different file under a hop already published' })
        .option('expires-days', { type: 'number', default: DEFAULT_EXPIRES_DAYS, describe: 'days until clients refuse the catalog unless it is re-signed' }),
    ),
  async run(o, ctx) {
    if (!Number.isInteger(o.expiresDays) || o.expiresDays < 1)
      throw usageError('USAGE', `--expires-days must be a whole number of days, not ${o.expiresDays}.`, `The default is ${DEFAULT_EXPIRES_DAYS}.`);
    const bundles = (o.bundles ?? []).map((b) => path.resolve(ctx.cwd, b));
    if (!bundles.length && !o.signKey) throw usageError('USAGE', 'Name bundle files to publish, or --sign-key to re-sign the catalog.', 'uphop publish out/*.tar.gz --store URL --sign-key KEY');
    // loaded on use: the S3 SDK is heavy and most commands never need it
    const { publish } = await import('../../store/publish.js');
    const result = await publish(
      {
        bundles,
        store: o.store,
        storeOptions: storeOptionsOf(o, ctx),
        signKey: o.signKey && path.resolve(ctx.cwd, o.signKey),
        replace: o.replace,
        expiresDays: o.expiresDays,
      },
      ctx.emit,
    );
    return { result };
  },
  human: (r) =>
    [
      ...r.bundles.map((b) => `${b.status.padEnd(9)} ${b.file}  ${fmtBytes(b.size)}  sha256 ${b.sha256.slice(0, 16)}…`),
      `catalog ${r.store}/catalog.json: version ${r.catalog.version}, ${r.catalog.hops} hops, ${r.catalog.signed ? 'signed' : 'UNSIGNED'}, expires ${r.catalog.expires}${r.catalog.written ? '' : ' (unchanged)'}`,
    ].join('\n'),
};
