/**
 * catalog.json: the signed index of a store. `version` only grows, so a client
 * that remembers the highest version it saw can refuse a replayed older catalog;
 * `expires` bounds how long a frozen (withheld) catalog stays acceptable.
 */
import semver from 'semver';
import { refusal } from '../errors.js';

export const CATALOG_FORMAT = 1;
export const CATALOG_KEY = 'catalog.json';
export const CATALOG_SIG_KEY = 'catalog.json.sig';

export interface CatalogHop {
  product: string;
  /** exact version, semver range, or "none" (fresh install) */
  from: string;
  to: string;
  /** object key in the store, also the file name a download gets */
  file: string;
  sha256: string;
  size: number;
  /** the bundle's created date (from its manifest) */
  created: string;
  /** fingerprint of the key that signed the bundle when the publisher could check it; null otherwise */
  signer: string | null;
  /** object key of the bundle's detached signature (`<file>.sig`, the whole archive's ed25519 signature); absent before it existed */
  sig?: string;
}

export interface CatalogProduct {
  /** every version a hop starts at (exact ones) or leads to, ascending */
  versions: string[];
  latest?: string;
}

export interface Catalog {
  format: number;
  version: number;
  /** ISO date after which clients refuse it */
  expires: string;
  products: Record<string, CatalogProduct>;
  hops: CatalogHop[];
}

export function buildCatalog(hops: CatalogHop[], version: number, expires: Date): Catalog {
  const sorted = [...hops].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const products: Record<string, CatalogProduct> = {};
  for (const h of sorted) {
    const p = (products[h.product] ??= { versions: [] });
    for (const v of [h.from, h.to]) if (semver.valid(v) && !p.versions.includes(v)) p.versions.push(v);
  }
  for (const p of Object.values(products)) {
    p.versions.sort(semver.compare);
    p.latest = p.versions.at(-1);
  }
  return { format: CATALOG_FORMAT, version, expires: expires.toISOString(), products, hops: sorted };
}

/** the exact bytes that are stored and signed */
export const serializeCatalog = (c: Catalog) => Buffer.from(JSON.stringify(c, null, 2) + '\n');

export function parseCatalog(bytes: Buffer, where: string): Catalog {
  let c: Catalog;
  try {
    c = JSON.parse(bytes.toString('utf8')) as Catalog;
  } catch {
    throw invalid(where, 'it is not JSON');
  }
  if (!c || typeof c !== 'object') throw invalid(where, 'it is not an object');
  if (c.format !== CATALOG_FORMAT) throw invalid(where, `its format ${c.format} is not ${CATALOG_FORMAT}`);
  if (!Number.isInteger(c.version) || c.version < 1) throw invalid(where, 'its version is not a positive integer');
  if (typeof c.expires !== 'string' || Number.isNaN(Date.parse(c.expires))) throw invalid(where, 'its expires is not a date');
  if (!Array.isArray(c.hops)) throw invalid(where, 'it has no hops list');
  for (const h of c.hops) {
    const ok = h && ['product', 'from', 'to', 'file', 'sha256'].every((k) => typeof (h as unknown as Record<string, unknown>)[k] === 'string') && Number.isInteger(h.size);
    if (!ok) throw invalid(where, 'a hop lacks product, from, to, file, sha256 or size');
    if (h.sig !== undefined && h.sig !== `${h.file}.sig`) throw invalid(where, `the signature of ${h.file} is not ${h.file}.sig`);
  }
  return c;
}

const invalid = (where: string, why: string) => refusal('CATALOG_INVALID', `The catalog of ${where} is not valid: ${why}.`, 'Republish the store with `uphop publish`, or check the store URL.');

/** same hops, same bytes: the catalog needs no rewrite */
export function coversExactly(c: Catalog, hops: CatalogHop[]): boolean {
  if (c.hops.length !== hops.length) return false;
  const have = new Map(c.hops.map((h) => [h.file, h.sha256]));
  return hops.every((h) => have.get(h.file) === h.sha256);
}
