/** Errors every store implementation raises the same way. */
import { failure, refusal } from '../errors.js';

export const objectMissing = (storeUrl: string, key: string) =>
  failure('STORE_OBJECT_MISSING', `The store ${storeUrl} has no object "${key}".`, 'Check the store URL and that the bundle was published there (uphop plan --store URL lists what it holds).');

export const objectChanged = (storeUrl: string, key: string) =>
  refusal('STORE_OBJECT_CHANGED', `The object "${key}" in ${storeUrl} changed while it was being read.`, 'Someone replaced it in the store; run the command again to read the new version.');
