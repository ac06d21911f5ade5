/** Where hops come from: a store's catalog, or the bundle files in a folder (their manifests). */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { failure, messageOf, usageError } from '../errors.js';
import { readManifest } from '../bundle/read.js';
import { mapLimit } from '../util/limit.js';
import type { PlanHop } from './graph.js';

export async function hopsFromBundleDir(dir: string): Promise<PlanHop[]> {
  const names = await readdir(dir).catch((e) => {
    throw usageError('BUNDLES_DIR_MISSING', `Cannot read the bundle folder ${dir}: ${messageOf(e)}.`, 'Pass --bundles with a folder holding <product>-<from>-to-<to>.tar.gz files.');
  });
  const files = names.filter((n) => n.endsWith('.tar.gz')).sort();
  // only the first entries of each bundle are read: a folder of large bundles plans quickly
  return mapLimit(files, 4, async (name) => {
    const file = path.join(dir, name);
    const { manifest } = await readManifest(file);
    return { product: manifest.product, from: manifest.from, to: manifest.to, file: name, size: (await stat(file)).size };
  });
}

export interface InstalledVersion {
  product: string;
  version: string;
  file: string;
}

export const stateFile = (root: string) => path.join(root, 'var', 'lib', 'uphop', 'state.json');

/** the installed product and version of a manager root (its state.json) */
export async function installedVersion(root: string): Promise<InstalledVersion> {
  const file = stateFile(root);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw usageError(
        'STATE_MISSING',
        `${file} does not exist: no uphop install is recorded under ${root}.`,
        "Pass --from VERSION (or --from none for a fresh install), or point --root at the manager's root.",
      );
    }
    throw failure('STATE_UNREADABLE', `Cannot read ${file}: ${messageOf(e)}.`, 'Check its permissions.');
  }
  let state: { product?: unknown; version?: unknown };
  try {
    state = JSON.parse(text);
  } catch {
    throw failure('STATE_CORRUPT', `${file} is not valid JSON.`, 'Pass --from VERSION instead, and ask support to look at the state file.');
  }
  if (typeof state.product !== 'string' || typeof state.version !== 'string') {
    throw failure('STATE_CORRUPT', `${file} does not name the installed product and version.`, 'Pass --from VERSION instead.');
  }
  return { product: state.product, version: state.version, file };
}

/** the hops of one product: the one asked for, else the only one there is */
export function selectProduct<H extends PlanHop>(hops: H[], product?: string): { product: string; hops: H[] } {
  const products = [...new Set(hops.map((h) => h.product))].sort();
  const chosen = product ?? (products.length === 1 ? products[0] : undefined);
  if (!chosen) {
    throw products.length
      ? usageError('PRODUCT_AMBIGUOUS', `The hops are of several products (${products.join(', ')}).`, 'Pass --product NAME.')
      : usageError('NO_HOPS', 'There are no hops to plan with.', 'Publish bundles to the store, or point --bundles at a folder of bundle files.');
  }
  const mine = hops.filter((h) => h.product === chosen);
  if (!mine.length) throw usageError('PRODUCT_UNKNOWN', `There are no hops for product "${chosen}" (products: ${products.join(', ') || 'none'}).`, "Check --product or the state file's product.");
  return { product: chosen, hops: mine };
}
