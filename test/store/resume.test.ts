/** Interrupted downloads resume without fetching again what they had; a changed object is never spliced in. */
import { existsSync } from 'node:fs';
import { copyFile, open, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashFile } from '../../src/bundle/hash.js';
import { fetchBundles } from '../../src/store/fetch.js';
import { publish } from '../../src/store/publish.js';
import { openStore } from '../../src/store/open.js';
import type { PartialState } from '../../src/store/partial.js';
import { BUCKET, cleanup, makeBundle, startS3, tmp, type S3Fixture } from './helpers.js';

const MiB = 1024 * 1024;
const FILE = 'beacon-4.0.1-to-4.1.1.tar.gz';
let s3: S3Fixture;
let bundle: string;
let want: { sha256: string; size: number };
beforeAll(async () => {
  s3 = await startS3();
  bundle = await makeBundle(await tmp(), { from: '4.0.1', to: '4.1.1', payload: 6 * MiB });
  want = await hashFile(bundle);
});
afterAll(async () => {
  await s3.stop();
  await cleanup();
});

const sidecar = async (out: string) => JSON.parse(await readFile(path.join(out, `${FILE}.partial.json`), 'utf8')) as PartialState;

describe('fetch resumes', () => {
  it('after the server cut the transfer off halfway (s3), fetching only the missing bytes', async () => {
    const url = `s3://${BUCKET}/resume`;
    await publish({ bundles: [bundle], store: url, storeOptions: s3.opts });
    const out = await tmp();
    const base = { from: '4.0.1', to: '4.1.1', store: url, out, storeOptions: s3.opts, allowUnsigned: true, home: await tmp(), partSize: MiB, concurrency: 2 };

    s3.cutAfter(3 * MiB);
    const err = await fetchBundles({ ...base, retries: 0 }).catch((e) => e);
    expect(err).toMatchObject({ code: 'DOWNLOAD_INTERRUPTED', exitCode: 1 });
    expect(existsSync(path.join(out, FILE))).toBe(false);
    const saved = (await sidecar(out)).done.reduce((a, b) => a + b, 0);
    expect(saved).toBeGreaterThan(0);
    expect(saved).toBeLessThan(want.size);

    s3.cutAfter(undefined);
    s3.resetServed();
    const got = await fetchBundles(base);
    expect(got.bundles[0]).toMatchObject({ status: 'resumed', fetched: want.size - saved, sha256: want.sha256 });
    expect(s3.served()).toBe(want.size - saved);
    expect((await hashFile(path.join(out, FILE))).sha256).toBe(want.sha256);
    expect(existsSync(path.join(out, `${FILE}.partial`))).toBe(false);
    expect(existsSync(path.join(out, `${FILE}.partial.json`))).toBe(false);
  });

  it('from a partial file left on disk (file://), reading only the rest', async () => {
    const dir = await tmp();
    const url = `file://${dir}`;
    await publish({ bundles: [bundle], store: url });
    const out = await tmp();
    // what an interrupted run leaves: the first 2 of 7 one-MiB parts, recorded in the sidecar
    const partial = path.join(out, `${FILE}.partial`);
    await copyFile(bundle, partial);
    const fh = await open(partial, 'r+');
    await fh.write(Buffer.alloc(want.size - 2 * MiB), 0, want.size - 2 * MiB, 2 * MiB); // zeroes: unwritten ranges
    await fh.close();
    const etag = (await openStore(url).head(FILE))!.etag;
    const done = Array.from({ length: Math.ceil(want.size / MiB) }, (_, i) => (i < 2 ? MiB : 0));
    await writeFile(`${partial}.json`, JSON.stringify({ key: FILE, sha256: want.sha256, etag, size: want.size, partSize: MiB, done }));

    const got = await fetchBundles({ from: '4.0.1', to: '4.1.1', store: url, out, allowUnsigned: true, home: await tmp(), partSize: MiB });
    expect(got.bundles[0]).toMatchObject({ status: 'resumed', fetched: want.size - 2 * MiB });
    expect((await hashFile(path.join(out, FILE))).sha256).toBe(want.sha256);
  });

  it('starts over when the partial came from another version of the object', async () => {
    const dir = await tmp();
    const url = `file://${dir}`;
    await publish({ bundles: [bundle], store: url });
    const out = await tmp();
    const partial = path.join(out, `${FILE}.partial`);
    await writeFile(partial, Buffer.alloc(want.size, 7)); // bytes of some other file
    const done = Array.from({ length: Math.ceil(want.size / MiB) }, () => MiB);
    done[done.length - 1] = want.size % MiB;
    await writeFile(`${partial}.json`, JSON.stringify({ key: FILE, sha256: want.sha256, etag: '"an-older-object"', size: want.size, partSize: MiB, done }));

    const got = await fetchBundles({ from: '4.0.1', to: '4.1.1', store: url, out, allowUnsigned: true, home: await tmp(), partSize: MiB });
    expect(got.bundles[0]).toMatchObject({ status: 'downloaded', fetched: want.size, sha256: want.sha256 });
    expect((await hashFile(path.join(out, FILE))).sha256).toBe(want.sha256);
  });
});

describe('an object replaced in the store after publishing', () => {
  it.each([['file://'], ['s3://']])('is refused on %s and leaves no finished or partial file', async (kind) => {
    const url = kind === 's3://' ? `s3://${BUCKET}/replaced-${Date.now()}` : `file://${await tmp()}`;
    const opts = kind === 's3://' ? s3.opts : {};
    await publish({ bundles: [bundle], store: url, storeOptions: opts });
    const tampered = await readFile(bundle);
    tampered[tampered.length - 100] ^= 0xff; // same size, different bytes
    const store = openStore(url, opts);
    await store.put(FILE, tampered);
    store.close();

    const out = await tmp();
    const err = await fetchBundles({ from: '4.0.1', to: '4.1.1', store: url, out, storeOptions: opts, allowUnsigned: true, home: await tmp(), partSize: MiB }).catch((e) => e);
    expect(err).toMatchObject({ code: 'STORE_OBJECT_REPLACED', exitCode: 3 });
    expect(err.message).toContain('is not the file its catalog lists');
    expect(existsSync(path.join(out, FILE))).toBe(false);
    expect(existsSync(path.join(out, `${FILE}.partial`))).toBe(false);
  });

  it('of another size is refused before downloading anything', async () => {
    const url = `s3://${BUCKET}/resized-${Date.now()}`;
    await publish({ bundles: [bundle], store: url, storeOptions: s3.opts });
    const store = openStore(url, s3.opts);
    await store.put(FILE, Buffer.from('not the bundle'));
    store.close();
    s3.resetServed();
    const err = await fetchBundles({ from: '4.0.1', to: '4.1.1', store: url, out: await tmp(), storeOptions: s3.opts, allowUnsigned: true, home: await tmp() }).catch((e) => e);
    expect(err).toMatchObject({ code: 'STORE_OBJECT_REPLACED', exitCode: 3 });
    expect(s3.served()).toBe(0);
    expect((await stat(bundle)).size).toBe(want.size);
  });
});
