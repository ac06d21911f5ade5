/**
 * `uphop inspect` of the full CLI: a local file as in the installer, or a bundle
 * in a store (s3://bucket/key.tar.gz, file:///dir/key.tar.gz) whose manifest is
 * read with a ranged request of its first bytes, without downloading the bundle.
 */
import path from 'node:path';
import type { CommandDef } from '../command.js';
import { summarize } from '../../bundle/summary.js';
import { inspectCommand, inspectFile, type InspectResult } from './inspect.js';
import { storeOptionsOf, withStoreOptions, type StoreCliOpts } from './store-options.js';

interface Opts extends StoreCliOpts {
  bundle: string;
}

const isUrl = (s: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(s);

export const inspectAnyCommand: CommandDef<Opts, InspectResult> = {
  ...inspectCommand,
  describe: 'Show what a bundle does (a file, or its URL in a store, read without downloading it)',
  builder: (y) => withStoreOptions(y.positional('bundle', { type: 'string', demandOption: true, describe: 'bundle file (.tar.gz), or s3://bucket/key.tar.gz, file:///dir/key.tar.gz' })),
  async run(o, ctx) {
    if (!isUrl(o.bundle)) return { result: await inspectFile(path.resolve(ctx.cwd, o.bundle)) };
    const { openRemoteManifest } = await import('../../store/remote-manifest.js');
    const r = await openRemoteManifest(o.bundle, storeOptionsOf(o, ctx));
    return { result: { ...summarize(r.manifest, !!r.signature), source: r.url, remote: { size: r.size, bytesRead: r.bytesRead } } };
  },
};
