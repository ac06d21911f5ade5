/**
 * The manifest of a bundle in a store, read with ranged requests of its first
 * bytes (bundle.json is the archive's first entry): `uphop inspect s3://...`
 * shows a multi-GiB bundle after a few hundred KiB.
 */
import { isUphopError } from '../errors.js';
import { readManifestFromStream, type ManifestRead } from '../bundle/read.js';
import { objectMissing } from './errors.js';
import { openStore, splitObjectUrl } from './open.js';
import type { StoreOptions } from './types.js';

export interface RemoteManifest extends ManifestRead {
  url: string;
  /** size of the whole bundle object */
  size: number;
  etag: string;
  /** bytes requested to read the manifest */
  bytesRead: number;
}

const FIRST_RANGE = 256 * 1024;

export async function openRemoteManifest(url: string, opts: StoreOptions = {}): Promise<RemoteManifest> {
  const { storeUrl, key } = splitObjectUrl(url);
  const store = openStore(storeUrl, opts);
  try {
    const info = await store.head(key);
    if (!info) throw objectMissing(store.url, key);
    for (let want = FIRST_RANGE; ; want *= 4) {
      const length = Math.min(want, info.size);
      const body = await store.get(key, { range: { start: 0, end: Math.max(0, length - 1) }, ifMatch: info.etag });
      try {
        const read = await readManifestFromStream(body, url);
        return { ...read, url, size: info.size, etag: info.etag, bytesRead: length };
      } catch (e) {
        // a manifest larger than the range: ask for more, up to the whole object
        const cut = isUphopError(e) && e.code === 'BUNDLE_TRUNCATED';
        if (!cut || length >= info.size) throw e;
      }
    }
  } finally {
    store.close();
  }
}
