/**
 * The detached signature of a whole bundle file, `<bundle>.tar.gz.sig`: the raw
 * 64-byte ed25519 signature (RFC 8032, pure Ed25519) of the archive's bytes, so a
 * bare manager can check the archive before anything is extracted:
 *
 *   openssl pkeyutl -verify -pubin -inkey publisher.pub -rawin -in B -sigfile B.sig
 *
 * Why streamed and how (measured on 1 GiB, docs/trust.md): pure Ed25519 hashes the
 * whole message, and Node's crypto.sign(null, data, key) wants it as one Buffer:
 * a 1 GiB bundle would cost 1 GiB of memory (and Buffers stop at 4 GiB). Ed25519ph
 * (the pre-hashed variant) would stream, but Node lacks it and `pkeyutl -rawin`
 * checks pure Ed25519 only. So the SHA-512 passes stream here (1 MiB reads, O(1)
 * memory) and only the curve arithmetic runs on the digests (ed25519.ts).
 *
 * Verification is one pass: k = SHA-512(R || A || file). Signing would be two
 * passes with the RFC's nonce r = SHA-512(prefix || file); instead the nonce is
 * r = SHA-512(prefix || tag || sha256(file) || size), and the sha256 is the one the
 * bundle writer computed while writing, so signing costs one read-back pass. The
 * signature is still deterministic (reproducible builds give the same .sig) and is
 * an ordinary Ed25519 signature to every verifier (verification does not depend
 * on how r was chosen). The price is that nonce uniqueness also rests on sha256's
 * collision resistance, and that the bytes signed must be the bytes whose sha256
 * chose r: the read-back pass hashes them again and a signature whose file changed
 * in between is never returned (two messages under one nonce would give the key away).
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { failure, messageOf, refusal } from '../errors.js';
import { checkEquation, commitment, expandSeed, leInt, response } from './ed25519.js';
import { fingerprint, loadPublicKey } from './sign.js';

export const FILE_SIG_SUFFIX = '.sig';
export const sigPathOf = (archive: string) => `${archive}${FILE_SIG_SUFFIX}`;

const READ = 1024 * 1024;
const NONCE_TAG = Buffer.from('uphop archive nonce v1\0');

const rawPublic = (key: KeyObject) => Buffer.from(((key.type === 'private' ? createPublicKey(key) : key).export({ format: 'jwk' }) as { x: string }).x, 'base64url');

/** feed the file into the hashes, chunk by chunk; returns the bytes read */
async function streamInto(file: string, ...hashes: { update(b: Buffer): unknown }[]): Promise<number> {
  let size = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: READ })) {
    for (const h of hashes) h.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return size;
}

/** sign the bytes of `file`; `known` is its sha256 and size when the writer just computed them */
export async function signFile(file: string, key: KeyObject, known?: { sha256: string; size: number }): Promise<Buffer> {
  const jwk = key.export({ format: 'jwk' }) as { d?: string; crv?: string };
  if (!jwk.d || jwk.crv !== 'Ed25519') throw new Error('signFile needs an ed25519 private key');
  const { scalar, prefix } = expandSeed(createHash('sha512').update(Buffer.from(jwk.d, 'base64url')).digest());
  let digest = known;
  if (!digest) {
    const h = createHash('sha256');
    const size = await streamInto(file, h);
    digest = { sha256: h.digest('hex'), size };
  }
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(digest.size));
  const r = leInt(createHash('sha512').update(prefix).update(NONCE_TAG).update(Buffer.from(digest.sha256, 'hex')).update(size).digest());
  const R = commitment(r);
  const k = createHash('sha512').update(R).update(rawPublic(key));
  const again = createHash('sha256');
  const read = await streamInto(file, k, again);
  if (read !== digest.size || again.digest('hex') !== digest.sha256)
    throw failure('BUNDLE_CHANGED', `${path.basename(file)} changed while it was being signed.`, 'Build it again, and keep other processes away from the output folder meanwhile.');
  return Buffer.concat([R, response(r, leInt(k.digest()), scalar)]);
}

/** true when `sig` is a valid ed25519 signature of the file's bytes by `pub`; one streaming pass */
export async function verifyFile(file: string, sig: Buffer, pub: KeyObject): Promise<boolean> {
  if (sig.length !== 64) return false;
  const A = rawPublic(pub);
  const k = createHash('sha512').update(sig.subarray(0, 32)).update(A);
  await streamInto(file, k);
  return checkEquation(sig, A, leInt(k.digest()));
}

/** writes `<file>.sig` (mode 0644) and returns its path */
export async function writeFileSignature(file: string, key: KeyObject, known?: { sha256: string; size: number }): Promise<string> {
  const out = sigPathOf(file);
  await writeFile(out, await signFile(file, key, known), { mode: 0o644 });
  return out;
}

/** reads `<file>.sig` when it exists; undefined when there is none */
export async function readFileSignature(file: string): Promise<Buffer | undefined> {
  const sigFile = sigPathOf(file);
  const st = await stat(sigFile).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw unreadable(sigFile, messageOf(e));
  });
  if (!st) return undefined;
  // a signature is 64 bytes: anything else is refused before it is read (a huge file must not be loaded)
  if (!st.isFile() || st.size !== SIG_BYTES) throw unreadable(sigFile, st.isFile() ? `it is ${st.size} bytes, an ed25519 signature is ${SIG_BYTES}` : 'it is not a file');
  return readFile(sigFile).catch((e) => {
    throw unreadable(sigFile, messageOf(e));
  });
}

const SIG_BYTES = 64;
const unreadable = (sigFile: string, why: string) =>
  refusal('BUNDLE_SIG_UNREADABLE', `Cannot use ${sigFile}: ${why}.`, 'Download the bundle and its .sig again, or remove the .sig to rely on the embedded bundle.json.sig only.');

/** refuses (exit 3) unless `sig` verifies the whole file with `pub`; returns the signer's fingerprint */
export async function requireFileSignature(file: string, sig: Buffer, pub: KeyObject, label = path.basename(file)): Promise<string> {
  if (!(await verifyFile(file, sig, pub)))
    throw refusal(
      'BUNDLE_BAD_FILE_SIGNATURE',
      `${label}: its detached signature ${path.basename(sigPathOf(file))} does not verify with the trusted key ${fingerprint(pub)}.`,
      'The archive or its .sig was changed after signing, or another key signed it: download both again, or ask the publisher which key signed them.',
    );
  return fingerprint(pub);
}

/**
 * The check `uphop install <archive>` makes before reading the archive: when a
 * `<file>.sig` lies beside it and a trusted key is given, the whole file must
 * verify (exit 3 otherwise). Without a .sig, the embedded bundle.json.sig decides.
 */
export async function checkBesideSignature(file: string, trust: string | KeyObject | undefined): Promise<string | undefined> {
  if (!trust) return undefined;
  const sig = await readFileSignature(file);
  if (!sig) return undefined;
  const pub = typeof trust === 'string' ? await loadPublicKey(trust) : trust;
  return requireFileSignature(file, sig, pub);
}
