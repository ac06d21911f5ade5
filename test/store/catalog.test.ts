/** The catalog a client acts on: signed, not expired, never older than one seen before; publishers never lose hops. */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchBundles } from '../../src/store/fetch.js';
import { publish } from '../../src/store/publish.js';
import { openStore } from '../../src/store/open.js';
import { readCatalogUnverified } from '../../src/store/catalog-sync.js';
import { BUCKET, cleanup, keys, makeBundle, startS3, tmp, type S3Fixture } from './helpers.js';

let s3: S3Fixture;
let dir: string;
let k: Awaited<ReturnType<typeof keys>>;
let other: Awaited<ReturnType<typeof keys>>;
let hop: string;
beforeAll(async () => {
  s3 = await startS3();
  dir = await tmp();
  k = await keys(await tmp());
  other = await keys(await tmp());
  hop = await makeBundle(dir, { from: '4.0.1', to: '4.1.1', signKey: k.key });
});
afterAll(async () => {
  await s3.stop();
  await cleanup();
});

const fetchOpts = async (store: string) => ({ from: '4.0.1', to: '4.1.1', store, out: await tmp(), trust: k.pub, home: await tmp() });

describe('fetch refuses a catalog', () => {
  it('whose signature does not verify (tampered, or signed by another key)', async () => {
    const store = await tmp();
    await publish({ bundles: [hop], store, signKey: k.key });
    const o = await fetchOpts(store);
    const file = path.join(store, 'catalog.json');
    await writeFile(file, (await readFile(file, 'utf8')).replace('"size": ', '"size": 1'));
    await expect(fetchBundles(o)).rejects.toMatchObject({ code: 'CATALOG_SIGNATURE', exitCode: 3 });

    const signedByOther = await tmp();
    await publish({ bundles: [hop], store: signedByOther, signKey: other.key });
    await expect(fetchBundles({ ...o, store: signedByOther })).rejects.toMatchObject({ code: 'CATALOG_SIGNATURE' });
  });

  it('that is unsigned, unless --allow-unsigned; and without any --trust key', async () => {
    const store = await tmp();
    await publish({ bundles: [hop], store });
    const o = await fetchOpts(store);
    await expect(fetchBundles(o)).rejects.toMatchObject({ code: 'CATALOG_UNSIGNED', exitCode: 3 });
    await expect(fetchBundles({ ...o, trust: undefined })).rejects.toMatchObject({ code: 'CATALOG_UNTRUSTED', exitCode: 3 });
    // the bundle itself is signed: with the key it verifies, and --allow-unsigned covers the catalog
    const got = await fetchBundles({ ...o, allowUnsigned: true });
    expect(got.bundles[0].signer).toBe(k.fingerprint);
  });

  it('older than one already seen for this store (a replayed catalog)', async () => {
    const store = await tmp();
    await publish({ bundles: [hop], store, signKey: k.key });
    const oldCatalog = await readFile(path.join(store, 'catalog.json'));
    const oldSig = await readFile(path.join(store, 'catalog.json.sig'));
    await publish({ bundles: [await makeBundle(await tmp(), { from: '4.1.1', to: '4.2.0', signKey: k.key })], store, signKey: k.key });
    const o = await fetchOpts(store);
    await fetchBundles(o); // sees version 2
    const seen = JSON.parse(await readFile(path.join(o.home, 'catalogs.json'), 'utf8'));
    expect(seen[`file://${store}`].version).toBe(2);

    await writeFile(path.join(store, 'catalog.json'), oldCatalog);
    await writeFile(path.join(store, 'catalog.json.sig'), oldSig);
    const err = await fetchBundles({ ...o, out: await tmp() }).catch((e) => e);
    expect(err).toMatchObject({ code: 'CATALOG_ROLLBACK', exitCode: 3 });
    expect(err.message).toBe(`The catalog of file://${store} is version 1, older than version 2 seen before.`);
  });

  it('past its expiry date', async () => {
    const store = await tmp();
    await publish({ bundles: [hop], store, signKey: k.key, expiresDays: -1 });
    const err = await fetchBundles(await fetchOpts(store)).catch((e) => e);
    expect(err).toMatchObject({ code: 'CATALOG_EXPIRED', exitCode: 3 });
    // re-signing without bundles gives it a fresh expiry and a higher version
    const re = await publish({ bundles: [], store, signKey: k.key });
    expect(re.catalog).toMatchObject({ version: 2, written: true, hops: 1 });
    await expect(fetchBundles(await fetchOpts(store))).resolves.toMatchObject({ catalogVersion: 2 });
  });
});

describe('publish', () => {
  it('keeps both hops when a stalled publisher overwrites the catalog with a stale one (s3)', async () => {
    const url = `s3://${BUCKET}/race-${Date.now()}`;
    const d = await tmp();
    const [a, b] = await Promise.all([makeBundle(d, { from: '4.0.1', to: '4.1.1', signKey: k.key }), makeBundle(d, { from: '4.1.1', to: '4.2.0', signKey: k.key })]);
    // A lists the entries (only its own), then its catalog write stalls in the network...
    const stall = s3.holdNextPut(/\/catalog\.json$/);
    const first = publish({ bundles: [a], store: url, storeOptions: s3.opts, signKey: k.key });
    await stall.arrived;
    // ...while B publishes completely, then A's stale catalog lands on top of B's
    const second = await publish({ bundles: [b], store: url, storeOptions: s3.opts, signKey: k.key });
    expect(second.catalog.hops).toBe(2);
    stall.release();
    const r = await first;

    const store = openStore(url, s3.opts);
    const catalog = await readCatalogUnverified(store);
    store.close();
    expect(catalog!.hops.map((h) => h.file)).toEqual(['beacon-4.0.1-to-4.1.1.tar.gz', 'beacon-4.1.1-to-4.2.0.tar.gz']);
    // the version never goes back: higher than what B wrote, which clients may already have seen
    expect(catalog!.version).toBeGreaterThan(second.catalog.version);
    expect(r.catalog.version).toBe(catalog!.version);
  });

  it('refuses a different file under a published hop unless --replace', async () => {
    const store = await tmp();
    await publish({ bundles: [hop], store, signKey: k.key });
    const rebuilt = await makeBundle(await tmp(), { from: '4.0.1', to: '4.1.1', signKey: k.key });
    const err = await publish({ bundles: [rebuilt], store, signKey: k.key }).catch((e) => e);
    expect(err).toMatchObject({ code: 'HOP_EXISTS', exitCode: 3 });
    expect(err.hint).toContain('--replace');
    const before = await readCatalogUnverified(openStore(store));
    expect(before!.version).toBe(1);

    const r = await publish({ bundles: [rebuilt], store, signKey: k.key, replace: true });
    expect(r.bundles[0].status).toBe('replaced');
    const after = await readCatalogUnverified(openStore(store));
    expect(after!.version).toBe(2);
    expect(after!.hops[0].sha256).toBe(r.bundles[0].sha256);
    expect(after!.hops[0].sha256).not.toBe(before!.hops[0].sha256);
  });

  it.each([['file://'], ['s3://']])("run concurrently on %s keeps every publisher's hops", async (kind) => {
    const url = kind === 's3://' ? `s3://${BUCKET}/concurrent-${Date.now()}` : `file://${await tmp()}`;
    const opts = kind === 's3://' ? s3.opts : {};
    const d = await tmp();
    const hops = [
      ['none', '3.4.2'],
      ['3.4.2', '4.0.1'],
      ['4.0.1', '4.1.1'],
      ['4.1.1', '4.2.0'],
    ];
    const files = await Promise.all(hops.map(([from, to]) => makeBundle(d, { from, to, signKey: k.key })));
    const results = await Promise.all(files.map((f) => publish({ bundles: [f], store: url, storeOptions: opts, signKey: k.key })));
    const store = openStore(url, opts);
    const catalog = await readCatalogUnverified(store);
    store.close();
    expect(catalog!.hops.map((h) => `${h.from}->${h.to}`).sort()).toEqual(hops.map(([f, t]) => `${f}->${t}`).sort());
    expect(catalog!.version).toBeGreaterThanOrEqual(Math.max(...results.map((r) => r.catalog.version)));
    // and the signed catalog verifies for a client
    const got = await fetchBundles({ from: 'none', to: '4.2.0', store: url, out: await tmp(), storeOptions: opts, trust: k.pub, home: await tmp() });
    expect(got.bundles).toHaveLength(4);
  });
});
