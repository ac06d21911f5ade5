/**
 * Reads a bundle's manifest (and signature) from its first entries and stops:
 * `uphop inspect` on a large bundle, or on a ranged download of its first bytes,
 * reads only a few kilobytes. Nothing is verified here; see verify.ts.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { usageError } from '../errors.js';
import { gunzipChunks } from './gunzip.js';
import { readHead } from './head.js';
import type { Manifest } from './manifest.js';
import { tarEntries } from './tar-entries.js';
import { parseManifest } from './validate.js';

export interface ManifestRead {
  topDir: string;
  manifest: Manifest;
  /** bundle.json's exact bytes, as signed */
  manifestBytes: Buffer;
  signature?: Buffer;
}

/** reads the head of a bundle stream; the stream is destroyed once the manifest is read (it may be cut short) */
export async function readManifestFromStream(readable: Readable, label = 'the bundle'): Promise<ManifestRead> {
  const entries = tarEntries(gunzipChunks(readable, label, false), label, false);
  try {
    const head = await readHead(entries, label, false);
    return { topDir: head.topDir, manifest: parseManifest(head.manifestBytes, label), manifestBytes: head.manifestBytes, signature: head.signature };
  } finally {
    await entries.return(undefined); // stops the reader: no more bytes are read
  }
}

export async function readManifest(bundlePath: string): Promise<ManifestRead> {
  await requireFile(bundlePath);
  return readManifestFromStream(createReadStream(bundlePath, { highWaterMark: 64 * 1024 }), bundlePath);
}

export async function requireFile(bundlePath: string): Promise<void> {
  const s = await stat(bundlePath).catch(() => null);
  if (!s?.isFile())
    throw usageError('BUNDLE_NOT_FOUND', `${bundlePath} is not a bundle file (${s ? 'it is not a regular file' : 'it does not exist'}).`, 'Pass the path of a .tar.gz bundle made by `uphop build`.');
}
