import path from 'node:path';
import type { Argv } from 'yargs';
import type { CommandContext, CommandDef } from '../command.js';
import { usageError } from '../../errors.js';
import { DEFAULT_EXPIRES_DAYS, publish, type PublishResult } from '../../store/publish.js';
import type { StoreOptions } from '../../store/types.js';
import { fmtBytes } from '../format.js';

/** the S3 connection options every store command takes (plan and fetch reuse these) */
export interface StoreCliOpts { endpoint?: string; region?: string; pathStyle?: boolean }

export const withStoreOptions = (y: Argv) =>
  y
    .option('endpoint', { type: 'string', describe: 'S3-compatible endpoint URL (default: AWS_ENDPOINT_URL or AWS)' })
    .option('region', { type: 'string', describe: 'S3 region (default: AWS_REGION, or us-east-1 with --endpoint)' })
    .option('path-style', { type: 'boolean', describe: 'address buckets as path, not host (default on with --endpoint)' });

export const storeOptionsOf = (o: StoreCliOpts, ctx: CommandContext): StoreOptions =>
  ({ endpoint: o.endpoint, region: o.region, pathStyle: o.pathStyle, env: ctx.env, cwd: ctx.cwd });

interface Opts extends StoreCliOpts { bundles?: string[]; store: string; signKey?: string; replace: boolean; expiresDays: number }

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
    if (!Number.isInteger(o.expiresDays) || o.expiresDays < 1) throw usageError('USAGE', `--expires-days must be a whole number of days, not ${o.expiresDays}.`, `The default is ${DEFAULT_EXPIRES_DAYS}.`);
    const bundles = (o.bundles ?? []).map((b) => path.resolve(ctx.cwd, b));
    if (!bundles.length && !o.signKey) throw usageError('USAGE', 'Name bundle files to publish, or --sign-key to re-sign the catalog.', 'uphop publish out/*.tar.gz --store URL --sign-key KEY');
    const result = await publish({
      bundles, store: o.store, storeOptions: storeOptionsOf(o, ctx),
      signKey: o.signKey && path.resolve(ctx.cwd, o.signKey), replace: o.replace, expiresDays: o.expiresDays,
    }, ctx.emit);
    return { result };
  },
  human: (r) => [
    ...r.bundles.map((b) => `${b.status.padEnd(9)} ${b.file}  ${fmtBytes(b.size)}  sha256 ${b.sha256.slice(0, 16)}…`),
    `catalog ${r.store}/catalog.json: version ${r.catalog.version}, ${r.catalog.hops} hops, ${r.catalog.signed ? 'signed' : 'UNSIGNED'}, expires ${r.catalog.expires}${r.catalog.written ? '' : ' (unchanged)'}`,
  ].join('\n'),
};
