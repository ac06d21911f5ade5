/** Store URLs: file:///abs/dir, a plain path (a file store), or s3://bucket/prefix. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { usageError } from '../errors.js';
import { FileStore } from './file-store.js';
import { S3Store } from './s3-store.js';
import type { Store, StoreOptions } from './types.js';

export function openStore(url: string, opts: StoreOptions = {}): Store {
  if (url.startsWith('s3://')) {
    const rest = url.slice('s3://'.length).replace(/\/+$/, '');
    const [bucket, ...parts] = rest.split('/');
    if (!bucket) throw badUrl(url);
    const prefix = parts.filter(Boolean).join('/');
    return new S3Store(`s3://${bucket}${prefix ? `/${prefix}` : ''}`, { bucket, prefix }, opts);
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !url.startsWith('file://')) throw badUrl(url);
  const dir = url.startsWith('file://') ? fileURLToPath(url) : path.resolve(opts.cwd ?? process.cwd(), url);
  const root = path.resolve(dir);
  return new FileStore(`file://${root}`, root);
}

const badUrl = (url: string) => usageError('STORE_BAD_URL', `"${url}" is not a store URL.`, 'Use file:///path/to/dir, a folder path, or s3://bucket/prefix.');

/** split a URL of one object into its store and key: s3://b/p/x.tar.gz -> (s3://b/p, x.tar.gz) */
export function splitObjectUrl(url: string): { storeUrl: string; key: string } {
  const trimmed = url.replace(/\/+$/, '');
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) return { storeUrl: path.dirname(trimmed), key: path.basename(trimmed) };
  const cut = trimmed.lastIndexOf('/');
  const key = trimmed.slice(cut + 1);
  let storeUrl = trimmed.slice(0, cut);
  if (storeUrl === 's3:/' || storeUrl === '' || !key) throw badUrl(url);
  if (storeUrl === 'file://') storeUrl = 'file:///';
  return { storeUrl, key };
}
