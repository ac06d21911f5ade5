/**
 * `uphop fetch`: download the chain of bundles from A to B into a folder, for
 * carrying to an air-gapped site. Trust flows catalog -> files: the catalog's
 * signature, expiry and version are checked first; each file must then match the
 * catalog's sha256 (resumable download) and carry a valid bundle signature.
 */
import type { KeyObject } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { refusal } from '../errors.js';
import { silent, type Emit } from '../events.js';
import { readManifest } from '../bundle/read.js';
import { loadPublicKey } from '../bundle/sign.js';
import { sigPathOf } from '../bundle/file-sig.js';
import { checkSignature } from '../bundle/trust.js';
import { planPath } from '../plan/graph.js';
import { selectProduct } from '../plan/sources.js';
import { readCatalog } from './catalog-read.js';
import type { CatalogHop } from './catalog.js';
import { download, type DownloadStatus } from './download.js';
import { fetchFileSignature } from './fetch-sig.js';
import { checkFileName } from './keys.js';
import { openStore } from './open.js';
import { uphopHome } from './seen.js';
import type { Store, StoreOptions } from './types.js';

export interface FetchOptions {
  from: string;
  to: string;
  store: string;
  out: string;
  product?: string;
  /** publisher's public key file: checks the catalog's and each bundle's signature */
  trust?: string;
  allowUnsigned?: boolean;
  storeOptions?: StoreOptions;
  /** folder of catalogs.json; default UPHOP_HOME or ~/.uphop */
  home?: string;
  partSize?: number;
  concurrency?: number;
  retries?: number;
}

export interface FetchedBundle {
  file: string;
  path: string;
  from: string;
  to: string;
  size: number;
  sha256: string;
  status: DownloadStatus;
  /** bytes transferred by this run (less than size when resumed) */
  fetched: number;
  /** fingerprint of the key that verified the bundle's signature */
  signer?: string;
  /** `<path>.sig`, the detached signature downloaded beside it, when the catalog lists one */
  sig?: string;
}

export interface FetchResult {
  store: string;
  product: string;
  from: string;
  to: string;
  out: string;
  catalogVersion: number;
  bundles: FetchedBundle[];
}

export async function fetchBundles(opts: FetchOptions, emit: Emit = silent): Promise<FetchResult> {
  const trust = opts.trust ? await loadPublicKey(opts.trust) : undefined;
  const store = openStore(opts.store, opts.storeOptions);
  try {
    const home = uphopHome(opts.home, opts.storeOptions?.env);
    const { catalog } = await readCatalog(store, { trust, allowUnsigned: opts.allowUnsigned, home, emit });
    const { product, hops } = selectProduct(catalog.hops, opts.product);
    const chain = planPath(hops, opts.from, opts.to);
    const out = path.resolve(opts.out);
    const bundles = await downloadChain(store, chain, { ...opts, out, trust }, emit);
    return { store: store.url, product, from: opts.from, to: opts.to, out, catalogVersion: catalog.version, bundles };
  } finally {
    store.close();
  }
}

export interface ChainOptions {
  out: string;
  /** publisher's public key: each bundle's signature must verify with it */
  trust?: KeyObject;
  allowUnsigned?: boolean;
  partSize?: number;
  concurrency?: number;
  retries?: number;
}

/** download the hops of a planned chain into `out`, in order, each checked against the catalog and its signature */
export async function downloadChain(store: Store, chain: CatalogHop[], o: ChainOptions, emit: Emit = silent): Promise<FetchedBundle[]> {
  await mkdir(o.out, { recursive: true });
  const bundles: FetchedBundle[] = [];
  for (const hop of chain) {
    const dest = path.join(o.out, checkFileName(hop.file));
    const t0 = Date.now();
    const got = await download({
      store,
      key: hop.file,
      dest,
      expected: { sha256: hop.sha256, size: hop.size },
      partSize: o.partSize,
      concurrency: o.concurrency,
      retries: o.retries,
      emit,
    });
    const signer = await checkBundle(dest, hop, { trust: o.trust, allowUnsigned: o.allowUnsigned }, emit);
    await fetchFileSignature(store, hop, dest, o.trust, emit).catch(async (e) => {
      await rm(dest, { force: true }); // a file whose signature fails must not look like a good download
      throw e;
    });
    bundles.push({
      file: hop.file,
      path: dest,
      from: hop.from,
      to: hop.to,
      size: got.size,
      sha256: got.sha256,
      status: got.status,
      fetched: got.fetched,
      signer,
      sig: hop.sig ? sigPathOf(dest) : undefined,
    });
    emit({ type: 'step', step: `fetch ${hop.file}`, status: got.status === 'present' ? 'skip' : 'end', ms: Date.now() - t0, detail: got.status });
  }
  return bundles;
}

/** the file matches the catalog; its manifest must name the same hop and carry a trusted signature */
async function checkBundle(dest: string, hop: CatalogHop, policy: { trust?: KeyObject; allowUnsigned?: boolean }, emit: Emit): Promise<string | undefined> {
  try {
    const { manifest, manifestBytes, signature } = await readManifest(dest);
    if (manifest.product !== hop.product || manifest.from !== hop.from || manifest.to !== hop.to) {
      throw refusal(
        'BUNDLE_HOP_MISMATCH',
        `${hop.file} holds ${manifest.product} ${manifest.from} -> ${manifest.to}, not the hop the catalog lists.`,
        'The store is inconsistent: ask the publisher to republish this bundle.',
      );
    }
    return (await checkSignature(hop.file, manifestBytes, signature, policy, emit)).signer;
  } catch (e) {
    // a refused file must not sit in the folder looking like a good download
    await rm(dest, { force: true });
    throw e;
  }
}
