/**
 * download(): one stream on a fast link, parallel ranges when the first part is
 * slow, and a resumed partial with gaps: every path must give the exact bytes,
 * hashed on arrival or read back, and request each missing byte exactly once.
 */
import { copyFile, open, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashFile } from '../../src/bundle/hash.js';
import { download } from '../../src/store/download.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/types.js';
import { BUCKET, cleanup, makeBundle, startS3, tmp, type S3Fixture } from './helpers.js';

const MiB = 1024 * 1024;
const FILE = 'beacon-4.0.1-to-4.1.1.tar.gz';
let s3: S3Fixture;
let store: Store;
let bundle: string;
let want: { sha256: string; size: number };
beforeAll(async () => {
  s3 = await startS3();
  bundle = await makeBundle(await tmp(), { from: '4.0.1', to: '4.1.1', payload: 9 * MiB + 12345 });
  want = await hashFile(bundle);
  store = openStore(`s3://${BUCKET}/dl`, s3.opts);
  const { createReadStream } = await import('node:fs');
  await store.put(FILE, createReadStream(bundle));
});
afterAll(async () => {
  store.close();
  await s3.stop();
  await cleanup();
});

describe('download', () => {
  it('with one stream on a fast link, reads every byte exactly once', async () => {
    const dest = path.join(await tmp(), FILE);
    s3.resetServed();
    const r = await download({ store, key: FILE, dest, expected: want, partSize: MiB, concurrency: 4, fastLink: 0 });
    expect(r).toMatchObject({ status: 'downloaded', sha256: want.sha256, fetched: want.size });
    expect(s3.served()).toBe(want.size);
    expect((await hashFile(dest)).sha256).toBe(want.sha256);
  });

  it('adds parallel ranges when the first part is slow, and still gets the exact bytes, each once', async () => {
    const dest = path.join(await tmp(), FILE);
    s3.resetServed();
    const r = await download({ store, key: FILE, dest, expected: want, partSize: MiB, concurrency: 4, fastLink: Number.POSITIVE_INFINITY });
    expect(r).toMatchObject({ status: 'downloaded', sha256: want.sha256, fetched: want.size });
    expect(s3.served()).toBe(want.size);
    expect((await hashFile(dest)).sha256).toBe(want.sha256);
  });

  it.each([[1], [4]])('resumes a partial with gaps (concurrency %i), fetching only the missing parts', async (concurrency) => {
    const out = await tmp();
    const dest = path.join(out, FILE);
    const partial = `${dest}.partial`;
    // parts 1, 3 and 4 arrived earlier; 0, 2 and 5.. did not (zeroes stand for unwritten bytes)
    await copyFile(bundle, partial);
    const fh = await open(partial, 'r+');
    const have = new Set([1, 3, 4]);
    const parts = Math.ceil(want.size / MiB);
    for (let i = 0; i < parts; i++) if (!have.has(i)) await fh.write(Buffer.alloc(Math.min(MiB, want.size - i * MiB)), 0, Math.min(MiB, want.size - i * MiB), i * MiB);
    await fh.close();
    const etag = (await store.head(FILE))!.etag;
    const done = Array.from({ length: parts }, (_, i) => (have.has(i) ? MiB : 0));
    await writeFile(`${partial}.json`, JSON.stringify({ key: FILE, sha256: want.sha256, etag, size: want.size, partSize: MiB, done }));
    s3.resetServed();
    const r = await download({ store, key: FILE, dest, expected: want, partSize: MiB, concurrency, fastLink: concurrency > 1 ? Number.POSITIVE_INFINITY : 0 });
    expect(r).toMatchObject({ status: 'resumed', sha256: want.sha256, fetched: want.size - 3 * MiB });
    expect((await hashFile(dest)).sha256).toBe(want.sha256);
    expect(s3.served()).toBe(want.size - 3 * MiB);
  });
});
