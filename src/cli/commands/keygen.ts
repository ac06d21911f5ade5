import path from 'node:path';
import type { CommandDef } from '../command.js';
import type { generateKeyPair } from '../../bundle/sign.js';

interface Opts {
  out: string;
}

export const keygenCommand: CommandDef<Opts, Awaited<ReturnType<typeof generateKeyPair>>> = {
  name: 'keygen',
  command: 'keygen',
  describe: 'Create an ed25519 key pair for signing bundles and catalogs',
  builder: (y) => y.option('out', { type: 'string', demandOption: true, describe: 'folder for uphop-signing.key and uphop-signing.pub' }),
  async run(o, ctx) {
    const { generateKeyPair } = await import('../../bundle/sign.js');
    return { result: await generateKeyPair(path.resolve(ctx.cwd, o.out)) };
  },
  human: (r) => JSON.stringify(r, null, 2),
};
