/**
 * Rebuilding the catalog without losing a concurrent publisher's hops.
 *
 * Conditional writes (If-Match on the catalog's ETag) would make this a plain
 * compare-and-swap, but S3-compatible servers such as s3rver ignore them. So the
 * source of truth is one immutable-per-hop object, entries/<file>.json, written
 * before the catalog is touched; the catalog is only a signed view of the listing:
 *
 *   1. list entries/ and the version markers (catalog-versions/<n>);
 *   2. when catalog.json already lists exactly these entries with the highest
 *      version ever marked, and its .sig matches it, stop; else write marker n+1,
 *      catalog.json and its .sig;
 *   3. wait a little (jittered) and go back to 1.
 *
 * Whoever writes last re-checks after writing, so the final catalog covers every
 * entry written before that check; the markers keep `version` monotonic even when a
 * slow publisher overwrites a newer catalog with its stale one (it sees a higher
 * marker on re-check and writes again with a higher version).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { failure } from '../errors.js';
import { silent, type Emit } from '../events.js';
import { signBytes, verifyBytes } from '../bundle/sign.js';
import { mapLimit } from '../util/limit.js';
import { CATALOG_KEY, CATALOG_SIG_KEY, buildCatalog, coversExactly, parseCatalog, serializeCatalog, type Catalog, type CatalogHop } from './catalog.js';
import { readSmall } from './small.js';
import type { Store } from './types.js';

export const ENTRIES_PREFIX = 'entries/';
const MARKERS_PREFIX = 'catalog-versions/';
const MAX_ROUNDS = 10;
const MARKERS_KEPT = 20;

export const entryKey = (file: string) => `${ENTRIES_PREFIX}${file}.json`;
const markerKey = (v: number) => `${MARKERS_PREFIX}${String(v).padStart(12, '0')}`;

export interface SyncOptions {
  signKey?: KeyObject;
  expiresDays: number;
  /** rewrite even when the catalog is up to date (re-sign, new expiry) */
  force?: boolean;
  emit?: Emit;
  now?: () => Date;
}

export interface SyncResult {
  catalog: Catalog;
  /** whether this call wrote a new catalog */
  written: boolean;
}

export async function readEntries(store: Store): Promise<CatalogHop[]> {
  const keys = (await store.list(ENTRIES_PREFIX)).filter((o) => o.key.endsWith('.json'));
  const hops = await mapLimit(keys, 8, async (o) => {
    const bytes = await readSmall(store, o.key);
    if (!bytes) return undefined; // deleted since the listing
    try {
      return JSON.parse(bytes.toString('utf8')) as CatalogHop;
    } catch {
      throw failure('CATALOG_ENTRY_INVALID', `The entry ${o.key} in ${store.url} is not valid JSON.`, 'Delete it and publish that bundle again.');
    }
  });
  return hops.filter((h): h is CatalogHop => !!h);
}

async function highestMarker(store: Store): Promise<{ max: number; keys: string[] }> {
  const keys = (await store.list(MARKERS_PREFIX)).map((o) => o.key).sort();
  const max = keys.length ? Number(keys.at(-1)!.slice(MARKERS_PREFIX.length)) : 0;
  return { max, keys };
}

export async function readCatalogUnverified(store: Store): Promise<Catalog | undefined> {
  const bytes = await readSmall(store, CATALOG_KEY);
  return bytes ? parseCatalog(bytes, store.url) : undefined;
}

async function readPair(store: Store): Promise<{ bytes?: Buffer; sig?: Buffer }> {
  const [bytes, sig] = await Promise.all([readSmall(store, CATALOG_KEY), readSmall(store, CATALOG_SIG_KEY)]);
  return { bytes, sig };
}

/** two publishers writing catalog then .sig can interleave into one's catalog with the other's signature */
function pairMatches(pair: { bytes?: Buffer; sig?: Buffer }, key?: KeyObject): boolean {
  if (!key) return !pair.sig;
  return !!pair.bytes && !!pair.sig && verifyBytes(pair.bytes, pair.sig, createPublicKey(key));
}

export async function syncCatalog(store: Store, opts: SyncOptions): Promise<SyncResult> {
  const emit = opts.emit ?? silent;
  const now = opts.now ?? (() => new Date());
  let force = !!opts.force;
  let written: Catalog | undefined;
  for (let round = 1; round <= MAX_ROUNDS; round++) {
    const [entries, pair, markers] = await Promise.all([readEntries(store), readPair(store), highestMarker(store)]);
    const current = pair.bytes && parseCatalog(pair.bytes, store.url);
    const fresh = current && coversExactly(current, entries) && current.version >= markers.max && pairMatches(pair, opts.signKey);
    if (fresh && !force) {
      if (written) await pruneMarkers(store, markers.keys);
      return { catalog: current!, written: !!written };
    }
    force = false;
    const version = Math.max(current?.version ?? 0, markers.max) + 1;
    const catalog = buildCatalog(entries, version, new Date(now().getTime() + opts.expiresDays * 86_400_000));
    await store.put(markerKey(version), Buffer.alloc(0));
    await writeCatalog(store, catalog, opts.signKey);
    written = catalog;
    emit({ type: 'log', level: 'info', message: `catalog version ${version} written (${entries.length} hops)` });
    // give a concurrent publisher's write time to land before checking we were last
    await new Promise((r) => setTimeout(r, 50 + Math.random() * 150 * round));
  }
  throw failure('CATALOG_CONTENDED', `The catalog of ${store.url} kept changing while it was being rebuilt.`, 'Other publishers are busy; run the same publish again (it is idempotent).');
}

async function writeCatalog(store: Store, catalog: Catalog, signKey?: KeyObject): Promise<void> {
  const bytes = serializeCatalog(catalog);
  await store.put(CATALOG_KEY, bytes, { contentType: 'application/json' });
  // an unsigned publish must not leave an old signature that now looks like tampering
  if (signKey) await store.put(CATALOG_SIG_KEY, signBytes(bytes, signKey));
  else await store.delete(CATALOG_SIG_KEY);
}

async function pruneMarkers(store: Store, keys: string[]): Promise<void> {
  for (const k of keys.slice(0, Math.max(0, keys.length - MARKERS_KEPT))) await store.delete(k);
}
