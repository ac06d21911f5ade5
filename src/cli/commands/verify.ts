import path from 'node:path';
import type { CommandDef } from '../command.js';

interface Opts {
  bundle: string;
  trust?: string;
  allowUnsigned: boolean;
}
interface Result {
  ok: true;
  bundle: string;
  product: string;
  from: string;
  to: string;
  signed: boolean;
  signer?: string;
  files: number;
  bytes: number;
  fileSignature: boolean;
}

export const verifyCommand: CommandDef<Opts, Result> = {
  name: 'verify',
  command: 'verify <bundle>',
  describe: 'Check a bundle: signature first, then every file (exit 3 names what is wrong)',
  builder: (y) =>
    y
      .positional('bundle', { type: 'string', demandOption: true, describe: 'bundle file (.tar.gz)' })
      .option('trust', { type: 'string', describe: 'trusted ed25519 public key (PEM) the bundle must be signed with' })
      .option('allow-unsigned', { type: 'boolean', default: false, describe: 'accept a bundle without a trusted signature (integrity only)' }),
  async run(o, ctx) {
    const file = path.resolve(ctx.cwd, o.bundle);
    const { verifyBundle } = await import('../../bundle/verify.js');
    const { checkBesideSignature } = await import('../../bundle/file-sig.js');
    const trust = o.trust && path.resolve(ctx.cwd, o.trust);
    // <bundle>.sig beside it, when there is one, over the whole file first: what OpenSSL would check
    const fileSigner = await checkBesideSignature(file, trust);
    const r = await verifyBundle(file, { trust, allowUnsigned: o.allowUnsigned, emit: ctx.emit });
    return {
      result: {
        ok: true,
        bundle: file,
        product: r.manifest.product,
        from: r.manifest.from,
        to: r.manifest.to,
        signed: r.signed,
        signer: r.signer,
        files: r.files,
        bytes: r.bytes,
        fileSignature: !!fileSigner,
      },
    };
  },
  human: (r) =>
    `ok: ${path.basename(r.bundle)} (${r.product} ${r.from} -> ${r.to}), ${r.files} files intact, ${r.signed ? (r.signer ? `signature by ${r.signer} verified` : 'signed, signature not checked (no --trust)') : 'unsigned'}${r.fileSignature ? `; ${path.basename(r.bundle)}.sig verified` : ''}`,
};
