/** `uphop plan`: which bundles, in which order, take a manager from A to B. */
import path from 'node:path';
import semver from 'semver';
import { usageError } from '../errors.js';
import { silent, type Emit } from '../events.js';
import { loadPublicKey } from '../bundle/sign.js';
import { openStore } from '../store/open.js';
import { readCatalog } from '../store/catalog-read.js';
import { uphopHome } from '../store/seen.js';
import type { StoreOptions } from '../store/types.js';
import { canonical, planPath, type PlanHop } from './graph.js';
import { hopsFromBundleDir, installedVersion, selectProduct } from './sources.js';

export interface PlanOptions {
  /** installed version, or "none"; defaults to the version recorded under root */
  from?: string;
  /** target version, or "latest" */
  to: string;
  store?: string;
  bundles?: string;
  root?: string;
  product?: string;
  /** publisher key: when given the catalog's signature is checked */
  trust?: string;
  storeOptions?: StoreOptions;
  home?: string;
}

export type PlannedHop = PlanHop;

export interface PlanResult {
  product: string;
  from: string;
  to: string;
  /** where the hops came from: a store URL or a folder */
  source: string;
  hops: PlannedHop[];
  /** bytes to download (when sizes are known) */
  totalBytes: number;
  catalogVersion?: number;
}

export async function plan(opts: PlanOptions, emit: Emit = silent): Promise<PlanResult> {
  if (!!opts.store === !!opts.bundles)
    throw usageError('PLAN_SOURCE', 'Give exactly one of --store and --bundles.', 'Use --store URL for published bundles or --bundles DIR for files you already have.');
  const installed = opts.root && !opts.from ? await installedVersion(opts.root) : undefined;
  const from = opts.from ?? installed?.version;
  if (!from) throw usageError('PLAN_FROM', 'The installed version is not known.', 'Pass --from VERSION (or --from none), or --root DIR of the manager.');

  let all: PlanHop[];
  let source: string;
  let catalogVersion: number | undefined;
  if (opts.store) {
    const store = openStore(opts.store, opts.storeOptions);
    try {
      const trust = opts.trust ? await loadPublicKey(opts.trust) : undefined;
      // planning changes nothing, so an unchecked catalog is acceptable; fetch insists
      const { catalog } = await readCatalog(store, { trust, allowUnsigned: !trust, home: uphopHome(opts.home, opts.storeOptions?.env), emit });
      all = catalog.hops;
      source = store.url;
      catalogVersion = catalog.version;
    } finally {
      store.close();
    }
  } else {
    source = path.resolve(opts.bundles!);
    all = await hopsFromBundleDir(source);
  }
  const { product, hops } = selectProduct(all, opts.product ?? installed?.product);
  const to = opts.to === 'latest' ? latest(hops) : opts.to;
  const chain = planPath(hops, from, to).map(({ product: p, from: f, to: t, file, sha256, size }) => ({ product: p, from: f, to: t, file, sha256, size }));
  return {
    product,
    from: canonical(from),
    to: canonical(to),
    source,
    hops: chain,
    totalBytes: chain.reduce((n, h) => n + (h.size ?? 0), 0),
    catalogVersion,
  };
}

function latest(hops: PlanHop[]): string {
  const vs = hops
    .map((h) => h.to)
    .filter((v) => semver.valid(v))
    .sort(semver.rcompare);
  if (!vs.length) throw usageError('NO_LATEST', 'No hop leads to a release version, so "latest" means nothing here.', 'Pass --to VERSION.');
  return vs[0];
}
