import path from 'node:path';
import type { CommandDef } from '../command.js';
import { readManifest } from '../../bundle/read.js';
import { summarize, summaryText, type BundleSummary } from '../../bundle/summary.js';
import { fmtBytes } from '../format.js';

export interface InspectResult extends BundleSummary {
  /** where the manifest was read: a file path or a store URL */
  source: string;
  /** for a bundle in a store: its size, and the bytes read to show it */
  remote?: { size: number; bytesRead: number };
}

export async function inspectFile(file: string): Promise<InspectResult> {
  const { manifest, signature } = await readManifest(file);
  return { ...summarize(manifest, !!signature), source: file };
}

export const inspectText = (s: InspectResult) => [summaryText(s), ...(s.remote ? [`read ${fmtBytes(s.remote.bytesRead)} of ${fmtBytes(s.remote.size)} from ${s.source}`] : [])].join('\n');

/** local files only: this one travels in the bundled installer (see inspect-store.ts for store URLs) */
export const inspectCommand: CommandDef<{ bundle: string }, InspectResult> = {
  name: 'inspect',
  command: 'inspect <bundle>',
  describe: 'Show what a bundle does: versions, components, migrations, configs, services, agents, signer',
  builder: (y) => y.positional('bundle', { type: 'string', demandOption: true, describe: 'bundle file (.tar.gz)' }),
  run: async (o, ctx) => ({ result: await inspectFile(path.resolve(ctx.cwd, o.bundle)) }),
  human: inspectText,
};
