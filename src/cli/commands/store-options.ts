/**
 * The S3 connection options of the store commands, in a module of their own so
 * commands that travel in the bundled installer (inspect) can take them without
 * pulling the store code, and the S3 SDK, into it.
 */
import type { Argv } from 'yargs';
import type { CommandContext } from '../command.js';
import type { StoreOptions } from '../../store/types.js';

export interface StoreCliOpts {
  endpoint?: string;
  region?: string;
  pathStyle?: boolean;
}

export const withStoreOptions = (y: Argv) =>
  y
    .option('endpoint', { type: 'string', describe: 'S3-compatible endpoint URL (default: AWS_ENDPOINT_URL or AWS)' })
    .option('region', { type: 'string', describe: 'S3 region (default: AWS_REGION, or us-east-1 with --endpoint)' })
    .option('path-style', { type: 'boolean', describe: 'address buckets as path, not host (default on with --endpoint)' });

export const storeOptionsOf = (o: StoreCliOpts, ctx: CommandContext): StoreOptions => ({ endpoint: o.endpoint, region: o.region, pathStyle: o.pathStyle, env: ctx.env, cwd: ctx.cwd });
