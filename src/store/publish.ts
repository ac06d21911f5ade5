/**
 * uphop publish: upload bundles (streamed, hashed while copied), record one entry
 * per hop, then bring the signed catalog up to date (see catalog-sync.ts for how
 * concurrent publishers keep each other's hops). Every bundle is checked before
 * the first byte is uploaded, so a refusal leaves the store as it was.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Transform } from 'node:stream';
import path from 'node:path';
import { failure, refusal } from '../errors.js';
import { silent, type Emit } from '../events.js';
import { bundleFileName } from '../bundle/manifest.js';
import { readManifest } from '../bundle/read.js';
import { hashFile } from '../bundle/hash.js';
import { fingerprint, loadPrivateKey, verifyBytes } from '../bundle/sign.js';
import { readFileSignature, requireFileSignature, sigPathOf, writeFileSignature } from '../bundle/file-sig.js';
import { DEFAULT_EXPIRES_DAYS } from './defaults.js';
import { checkFileName } from './keys.js';
import { entryKey, syncCatalog } from './catalog-sync.js';
import { openStore } from './open.js';
import { readSmall } from './small.js';
import type { CatalogHop } from './catalog.js';
import type { Store, StoreOptions } from './types.js';

export interface PublishOptions {
  /** bundle files; none = only re-sign the catalog (fresh expiry) */
  bundles: string[];
  store: string;
  storeOptions?: StoreOptions;
  /** ed25519 private key file; signs the catalog */
  signKey?: string;
  /** allow a different file under a hop that is already published */
  replace?: boolean;
  expiresDays?: number;
}

export type PublishStatus = 'uploaded' | 'replaced' | 'unchanged';

export interface PublishedBundle extends CatalogHop {
  status: PublishStatus;
}

export interface PublishResult {
  store: string;
  bundles: PublishedBundle[];
  catalog: { version: number; hops: number; expires: string; signed: boolean; written: boolean };
}

export { DEFAULT_EXPIRES_DAYS } from './defaults.js';

export async function publish(opts: PublishOptions, emit: Emit = silent): Promise<PublishResult> {
  const key = opts.signKey ? await loadPrivateKey(opts.signKey) : undefined;
  const store = openStore(opts.store, opts.storeOptions);
  try {
    const planned: PublishedBundle[] = [];
    const sources = new Map<string, string>();
    for (const file of opts.bundles) {
      const hop = await describe(file, key);
      if (sources.has(hop.file)) continue;
      hop.status = await statusIn(store, hop, !!opts.replace);
      planned.push(hop);
      sources.set(hop.file, file);
    }
    for (const hop of planned) {
      if (hop.status === 'unchanged') {
        emit({ type: 'step', step: `publish ${hop.file}`, status: 'skip', detail: 'already published' });
        continue;
      }
      const t0 = Date.now();
      await upload(store, sources.get(hop.file)!, hop, emit);
      // the .sig before the entry: a hop a catalog lists always has the signature it names
      if (hop.sig) await store.put(hop.sig, await readFile(sigPathOf(sources.get(hop.file)!)), { contentType: 'application/octet-stream' });
      const { status: _s, ...entry } = hop;
      await store.put(entryKey(hop.file), Buffer.from(JSON.stringify(entry, null, 2) + '\n'), { contentType: 'application/json' });
      emit({ type: 'step', step: `publish ${hop.file}`, status: 'end', ms: Date.now() - t0 });
    }
    const changed = planned.some((h) => h.status !== 'unchanged');
    const { catalog, written } = await syncCatalog(store, {
      signKey: key,
      expiresDays: opts.expiresDays ?? DEFAULT_EXPIRES_DAYS,
      force: opts.bundles.length === 0,
      emit,
    });
    if (changed && !written) emit({ type: 'log', level: 'info', message: 'another publisher already wrote a catalog covering these bundles' });
    return {
      store: store.url,
      bundles: planned,
      catalog: { version: catalog.version, hops: catalog.hops.length, expires: catalog.expires, signed: !!key, written },
    };
  } finally {
    store.close();
  }
}

async function describe(file: string, key?: KeyObject): Promise<PublishedBundle> {
  const { manifest, manifestBytes, signature } = await readManifest(file);
  const name = checkFileName(bundleFileName(manifest));
  const { sha256, size } = await hashFile(file);
  const pub = key ? createPublicKey(key) : undefined;
  const signer = pub && signature && verifyBytes(manifestBytes, signature, pub) ? fingerprint(pub) : null;
  const sig = await detachedSignature(file, key, !!signer, { sha256, size });
  return { product: manifest.product, from: manifest.from, to: manifest.to, file: name, sha256, size, created: manifest.created, signer, ...(sig ? { sig: `${name}.sig` } : {}), status: 'uploaded' };
}

/**
 * A published bundle carries `<file>.sig` when it can: the one beside it (a signed
 * build), or one made now with the publisher's key. The key only signs, and only
 * judges the .sig beside, for a bundle whose bundle.json it signed: a catalog key
 * may differ from the bundle key (then the .sig goes up as it is and clients check
 * it with their own --trust), but a stale .sig next to the publisher's own bundle
 * must not be published.
 */
async function detachedSignature(file: string, key: KeyObject | undefined, ownBundle: boolean, digest: { sha256: string; size: number }): Promise<string | undefined> {
  const beside = await readFileSignature(file);
  if (beside) {
    if (key && ownBundle) await requireFileSignature(file, beside, createPublicKey(key));
    return sigPathOf(file);
  }
  return key && ownBundle ? writeFileSignature(file, key, digest) : undefined;
}

async function statusIn(store: Store, hop: PublishedBundle, replace: boolean): Promise<PublishStatus> {
  const bytes = await readSmall(store, entryKey(hop.file));
  if (!bytes) return 'uploaded';
  const old = JSON.parse(bytes.toString('utf8')) as CatalogHop;
  if (old.sha256 === hop.sha256) {
    // entry without its bundle (an interrupted replace), or the same bundle now with its .sig: upload again
    const obj = await store.head(hop.file);
    const sigThere = !hop.sig || (old.sig === hop.sig && !!(await store.head(hop.sig)));
    return obj?.size === hop.size && sigThere ? 'unchanged' : 'uploaded';
  }
  if (!replace) {
    throw refusal(
      'HOP_EXISTS',
      `${store.url} already has ${hop.file} with different contents (sha256 ${old.sha256.slice(0, 12)}…, published bundle ${hop.sha256.slice(0, 12)}…).`,
      'Pass --replace to overwrite it (clients that already downloaded the old file will refuse it), or build a bundle for a new version.',
    );
  }
  return 'replaced';
}

async function upload(store: Store, file: string, hop: PublishedBundle, emit: Emit): Promise<void> {
  const hash = createHash('sha256');
  // hashed again while copied: a file changed since it was described must not be published under the old sha256
  const tee = new Transform({
    transform(c: Buffer, _e, cb) {
      hash.update(c);
      cb(null, c);
    },
  });
  let last = 0;
  const src = createReadStream(file, { highWaterMark: 1024 * 1024 });
  src.once('error', (e) => tee.destroy(e)); // pipe() does not forward a read error
  await store.put(hop.file, src.pipe(tee), {
    contentType: 'application/gzip',
    onProgress: (done) => {
      if (done - last < 4 * 1024 * 1024 && done < hop.size) return;
      last = done;
      emit({ type: 'progress', task: hop.file, done, total: hop.size, unit: 'bytes' });
    },
  });
  if (hash.digest('hex') !== hop.sha256) {
    throw failure('BUNDLE_CHANGED', `${path.basename(file)} changed while it was being published.`, 'Publish it again once it is complete.');
  }
}
