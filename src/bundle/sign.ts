/**
 * ed25519 signing keys and signatures of bundle.json. A signature is the raw
 * 64-byte ed25519 signature of the manifest's exact bytes, so it can also be
 * checked with `openssl pkeyutl -verify -pubin -inkey uphop-signing.pub -rawin`.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { messageOf, usageError } from '../errors.js';

export const PRIVATE_KEY_NAME = 'uphop-signing.key';
export const PUBLIC_KEY_NAME = 'uphop-signing.pub';

export interface GeneratedKeys {
  privateKeyPath: string;
  publicKeyPath: string;
  fingerprint: string;
}

/** writes a new key pair into outDir (created if needed); never overwrites an existing private key */
export async function generateKeyPair(outDir: string): Promise<GeneratedKeys> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const privateKeyPath = join(outDir, PRIVATE_KEY_NAME);
  const publicKeyPath = join(outDir, PUBLIC_KEY_NAME);
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  try {
    await mkdir(outDir, { recursive: true });
    // 'wx' makes the existence check and the creation one atomic step
    await writeFile(privateKeyPath, pem, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST')
      throw usageError('KEY_EXISTS', `A signing key already exists at ${privateKeyPath}.`, 'Choose another folder, or delete the old key only if nothing signed with it must still be verified.');
    throw usageError('KEY_WRITE_FAILED', `Cannot write the signing key to ${privateKeyPath}: ${messageOf(e)}.`, 'Check that the folder is writable.');
  }
  await chmod(privateKeyPath, 0o600); // the umask may have narrowed it, never widened: make it exact
  await writeFile(publicKeyPath, publicKey.export({ format: 'pem', type: 'spki' }) as string, { mode: 0o644 });
  return { privateKeyPath, publicKeyPath, fingerprint: fingerprint(publicKey) };
}

async function readKeyFile(file: string, what: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : messageOf(e);
    throw usageError('KEY_NOT_FOUND', `Cannot read the ${what} ${file}: ${why}.`, 'Pass the path of an ed25519 PEM key made by `uphop keygen`.');
  }
}

function requireEd25519(key: KeyObject, file: string, what: string): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') throw usageError('KEY_NOT_ED25519', `The ${what} ${file} is a ${key.asymmetricKeyType} key, not ed25519.`, 'Make an ed25519 key pair with `uphop keygen`.');
  return key;
}

export async function loadPrivateKey(file: string): Promise<KeyObject> {
  const pem = await readKeyFile(file, 'signing key');
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw usageError('KEY_INVALID', `${file} is not a PEM private key.`, 'Pass the private key file (uphop-signing.key) made by `uphop keygen`.');
  }
  return requireEd25519(key, file, 'signing key');
}

/** accepts a public key (spki PEM); a private key file also works, its public half is used */
export async function loadPublicKey(file: string): Promise<KeyObject> {
  const pem = await readKeyFile(file, 'public key');
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw usageError('KEY_INVALID', `${file} is not a PEM public key.`, "Pass the publisher's public key file (uphop-signing.pub).");
  }
  return requireEd25519(key, file, 'public key');
}

export const signBytes = (bytes: Buffer, key: KeyObject): Buffer => sign(null, bytes, key);

export function verifyBytes(bytes: Buffer, sig: Buffer, pub: KeyObject): boolean {
  try {
    return verify(null, bytes, pub, sig);
  } catch {
    return false; // a malformed signature is simply not a valid one
  }
}

/** `ed25519:<first 16 hex of sha256 of the raw 32-byte public key>` */
export function fingerprint(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const raw = Buffer.from((pub.export({ format: 'jwk' }) as { x: string }).x, 'base64url');
  return `ed25519:${createHash('sha256').update(raw).digest('hex').slice(0, 16)}`;
}
