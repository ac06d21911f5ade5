/**
 * Reading a catalog a client may act on: signature (against --trust), expiry,
 * and no going back to an older version than one seen before for this store.
 */
import type { KeyObject } from 'node:crypto';
import { refusal, usageError } from '../errors.js';
import { silent, type Emit } from '../events.js';
import { fingerprint, verifyBytes } from '../bundle/sign.js';
import { CATALOG_KEY, CATALOG_SIG_KEY, parseCatalog, type Catalog } from './catalog.js';
import { loadSeen, recordSeen } from './seen.js';
import { readSmall } from './small.js';
import type { Store } from './types.js';

export interface ReadCatalogOptions {
  /** publisher's public key; without it the catalog is only accepted with allowUnsigned */
  trust?: KeyObject;
  allowUnsigned?: boolean;
  /** folder of catalogs.json (highest version seen per store) */
  home: string;
  now?: Date;
  emit?: Emit;
}

export interface TrustedCatalog {
  catalog: Catalog;
  /** fingerprint of the key whose signature was checked; undefined when not checked */
  signer?: string;
}

/** publisher writes catalog.json then its .sig: a reader between the two sees a mismatch, so look twice */
const TORN_RETRIES = 3;

export async function readCatalog(store: Store, opts: ReadCatalogOptions): Promise<TrustedCatalog> {
  const emit = opts.emit ?? silent;
  if (!opts.trust && !opts.allowUnsigned) {
    throw refusal('CATALOG_UNTRUSTED', `No trusted key was given to check the catalog of ${store.url}.`, 'Pass --trust <publisher>.pub, or --allow-unsigned to skip signature checks.');
  }
  let bytes: Buffer | undefined;
  let signer: string | undefined;
  for (let attempt = 1; ; attempt++) {
    bytes = await readSmall(store, CATALOG_KEY);
    if (!bytes) throw usageError('CATALOG_MISSING', `The store ${store.url} has no ${CATALOG_KEY}.`, 'Publish bundles there first (uphop publish <bundle> --store URL), or check the store URL.');
    if (!opts.trust) break;
    const sig = await readSmall(store, CATALOG_SIG_KEY);
    if (!sig) {
      if (opts.allowUnsigned) {
        emit({ type: 'log', level: 'warn', message: `the catalog of ${store.url} is not signed; accepted because of --allow-unsigned` });
        break;
      }
      throw refusal('CATALOG_UNSIGNED', `The catalog of ${store.url} is not signed.`, 'Ask the publisher to publish with --sign-key, or pass --allow-unsigned to accept it anyway.');
    }
    if (verifyBytes(bytes, sig, opts.trust)) {
      signer = fingerprint(opts.trust);
      break;
    }
    if (attempt >= TORN_RETRIES) {
      throw refusal(
        'CATALOG_SIGNATURE',
        `The catalog of ${store.url} does not carry a valid signature of the trusted key ${fingerprint(opts.trust)}.`,
        "Check that --trust is the publisher's public key; if it is, the store was tampered with: do not use it.",
      );
    }
    await new Promise((r) => setTimeout(r, 200 * attempt));
  }
  const catalog = parseCatalog(bytes, store.url);
  const now = opts.now ?? new Date();
  if (Date.parse(catalog.expires) < now.getTime()) {
    throw refusal(
      'CATALOG_EXPIRED',
      `The catalog of ${store.url} expired on ${catalog.expires}.`,
      'Ask the publisher to re-sign it (uphop publish --store URL --sign-key KEY); an expired catalog may be a frozen copy hiding newer fixes.',
    );
  }
  const seen = (await loadSeen(opts.home))[store.url];
  if (seen && catalog.version < seen.version) {
    throw refusal(
      'CATALOG_ROLLBACK',
      `The catalog of ${store.url} is version ${catalog.version}, older than version ${seen.version} seen before.`,
      'Someone is serving an old copy of the catalog; use the real store, or remove its line from catalogs.json in UPHOP_HOME if the store was rebuilt on purpose.',
    );
  }
  // only a verified catalog may raise the bar: an unsigned one could lock a client out
  if (signer) await recordSeen(opts.home, store.url, catalog.version, now);
  return { catalog, signer };
}
