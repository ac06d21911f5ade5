/** Whole-object reads for the few small objects (catalog, signatures, entries). */
import { UphopError, refusal } from '../errors.js';
import type { Store } from './types.js';

const LIMIT = 16 * 1024 * 1024;

export async function readSmall(store: Store, key: string): Promise<Buffer | undefined> {
  let stream: Awaited<ReturnType<Store['get']>>;
  try {
    stream = await store.get(key);
  } catch (e) {
    if (e instanceof UphopError && e.code === 'STORE_OBJECT_MISSING') return undefined;
    throw e;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of stream) {
    size += (c as Buffer).length;
    if (size > LIMIT) {
      stream.destroy();
      throw refusal('STORE_OBJECT_TOO_LARGE', `The object "${key}" in ${store.url} is larger than ${LIMIT} bytes.`, 'It is not an uphop catalog file; check the store URL.');
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}
