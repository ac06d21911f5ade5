/**
 * The signature policy, applied before anything in the bundle is trusted:
 * signed + trusted key -> must verify; signed without a key or unsigned ->
 * refused unless the operator explicitly allows it.
 */
import type { KeyObject } from 'node:crypto';
import { refusal } from '../errors.js';
import type { Emit } from '../events.js';
import { fingerprint, loadPublicKey, verifyBytes } from './sign.js';

export interface TrustOptions {
  /** the publisher's public key: a PEM file path or a loaded key */
  trust?: string | KeyObject;
  /** accept a bundle whose signature is absent or not checked (integrity is still checked) */
  allowUnsigned?: boolean;
}

export interface SignatureVerdict {
  /** the bundle carries a signature */
  signed: boolean;
  /** fingerprint of the key that verified it; absent when not checked */
  signer?: string;
}

export async function checkSignature(label: string, manifestBytes: Buffer, signature: Buffer | undefined, opts: TrustOptions, emit: Emit): Promise<SignatureVerdict> {
  const key = typeof opts.trust === 'string' ? await loadPublicKey(opts.trust) : opts.trust;
  if (signature && key) {
    if (!verifyBytes(manifestBytes, signature, key))
      throw refusal(
        'BUNDLE_BAD_SIGNATURE',
        `${label}: the signature of bundle.json does not verify with the trusted key ${fingerprint(key)}.`,
        'The bundle was changed after signing or signed with another key: download it again, or ask the publisher which key signed it.',
      );
    return { signed: true, signer: fingerprint(key) };
  }
  if (signature) {
    if (!opts.allowUnsigned)
      throw refusal(
        'BUNDLE_UNTRUSTED',
        `${label} is signed, but no trusted key was given to check the signature.`,
        "Pass --trust KEY with the publisher's public key (uphop-signing.pub), or --allow-unsigned to accept it unchecked.",
      );
    emit({ type: 'log', level: 'warn', message: `${label}: signature not checked (no trusted key given)` });
    return { signed: true };
  }
  if (!opts.allowUnsigned) throw refusal('BUNDLE_UNSIGNED', `${label} is not signed.`, 'Ask the publisher for a signed bundle, or pass --allow-unsigned if you trust where it came from.');
  emit({ type: 'log', level: 'warn', message: `${label} is not signed: only its integrity is checked` });
  return { signed: false };
}
