/**
 * The detached signature of a downloaded bundle: the catalog names it (`sig`),
 * it is downloaded beside the bundle as `<file>.sig` (so the manual OpenSSL
 * check works on the site the folder is carried to), and with a trusted key the
 * whole downloaded file must verify by it. A hop published before detached
 * signatures existed has no `sig`: its embedded bundle.json.sig still decides.
 */
import type { KeyObject } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { refusal } from '../errors.js';
import type { Emit } from '../events.js';
import { requireFileSignature, sigPathOf } from '../bundle/file-sig.js';
import type { CatalogHop } from './catalog.js';
import { checkKey } from './keys.js';
import { readSmall } from './small.js';
import type { Store } from './types.js';

/** returns the signer's fingerprint when the detached signature was checked */
export async function fetchFileSignature(store: Store, hop: CatalogHop, dest: string, trust: KeyObject | undefined, emit: Emit): Promise<string | undefined> {
  const beside = sigPathOf(dest);
  if (!hop.sig) {
    // a stale .sig from another build must not sit beside this file
    await rm(beside, { force: true });
    if (trust) emit({ type: 'log', level: 'info', message: `${hop.file}: the catalog lists no detached signature; checked by its bundle.json.sig only` });
    return undefined;
  }
  const bytes = await readSmall(store, checkKey(hop.sig));
  if (!bytes) throw refusal('STORE_SIG_MISSING', `${store.url} lists ${hop.sig} for ${hop.file}, but the object is missing.`, 'Ask the publisher to publish the bundle again (uphop publish).');
  await writeFile(beside, bytes, { mode: 0o644 });
  if (!trust) return undefined;
  try {
    return await requireFileSignature(dest, bytes, trust, hop.file);
  } catch (e) {
    await rm(beside, { force: true });
    throw e;
  }
}
