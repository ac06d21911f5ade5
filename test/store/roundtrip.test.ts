/** publish -> plan -> fetch, on file:// and on a real S3-protocol server. */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashFile } from '../../src/bundle/hash.js';
import { publish } from '../../src/store/publish.js';
import { fetchBundles } from '../../src/store/fetch.js';
import { plan } from '../../src/plan/plan.js';
import { openRemoteManifest } from '../../src/store/remote-manifest.js';
import type { UphopEvent } from '../../src/events.js';
import type { StoreOptions } from '../../src/store/types.js';
import { BUCKET, cleanup, keys, makeBundle, startS3, tmp, type S3Fixture } from './helpers.js';

let s3: S3Fixture;
let bundles: string[];
let k: Awaited<ReturnType<typeof keys>>;
beforeAll(async () => {
  s3 = await startS3();
  const dir = await tmp();
  k = await keys(dir);
  bundles = [
    await makeBundle(dir, { from: 'none', to: '3.4.2', signKey: k.key, payload: 50_000 }),
    await makeBundle(dir, { from: '3.4.2', to: '4.0.1', signKey: k.key, payload: 3_000_000 }),
    await makeBundle(dir, { from: '4.0.1', to: '4.1.1', signKey: k.key, payload: 20_000 }),
    await makeBundle(dir, { from: '4.1.1', to: '4.2.0', signKey: k.key, payload: 20_000 }),
  ];
});
afterAll(async () => {
  await s3.stop();
  await cleanup();
});

const backends: [string, () => Promise<{ url: string; opts: StoreOptions }>][] = [
  ['file://', async () => ({ url: `file://${await tmp()}`, opts: {} })],
  ['s3://', async () => ({ url: `s3://${BUCKET}/rt-${Math.random().toString(36).slice(2)}`, opts: s3.opts })],
];

describe.each(backends)('round trip on %s', (_kind, backend) => {
  it('publishes, plans 3.4.2 -> 4.2.0 as three hops, fetches and verifies them', async () => {
    const { url, opts } = await backend();
    const home = await tmp();
    const pub = await publish({ bundles, store: url, storeOptions: opts, signKey: k.key });
    expect(pub.bundles.map((b) => b.status)).toEqual(['uploaded', 'uploaded', 'uploaded', 'uploaded']);
    expect(pub.catalog).toMatchObject({ hops: 4, signed: true, written: true });
    expect(pub.bundles.every((b) => b.signer === k.fingerprint)).toBe(true);

    const p = await plan({ from: '3.4.2', to: '4.2.0', store: url, storeOptions: opts, trust: k.pub, home });
    expect(p.hops.map((h) => `${h.from}->${h.to}`)).toEqual(['3.4.2->4.0.1', '4.0.1->4.1.1', '4.1.1->4.2.0']);

    const out = await tmp();
    const events: UphopEvent[] = [];
    const got = await fetchBundles({ from: '3.4.2', to: '4.2.0', store: url, out, storeOptions: opts, trust: k.pub, home, partSize: 1024 * 1024 }, (e) => events.push(e));
    expect(got.bundles.map((b) => b.file)).toEqual(['beacon-3.4.2-to-4.0.1.tar.gz', 'beacon-4.0.1-to-4.1.1.tar.gz', 'beacon-4.1.1-to-4.2.0.tar.gz']);
    for (const b of got.bundles) {
      const src = bundles.find((f) => path.basename(f) === b.file)!;
      expect((await hashFile(b.path)).sha256).toBe((await hashFile(src)).sha256);
      expect(b.signer).toBe(k.fingerprint);
    }
    const progress = events.filter((e) => e.type === 'progress' && e.task === 'beacon-3.4.2-to-4.0.1.tar.gz');
    expect(progress.at(-1)).toMatchObject({ done: got.bundles[0].size, total: got.bundles[0].size, unit: 'bytes' });

    // the highest catalog version seen is remembered for this store
    const seen = JSON.parse(await readFile(path.join(home, 'catalogs.json'), 'utf8'));
    expect(Object.values(seen)).toEqual([expect.objectContaining({ version: pub.catalog.version })]);

    // a second fetch finds the files complete and transfers nothing
    const again = await fetchBundles({ from: '3.4.2', to: '4.2.0', store: url, out, storeOptions: opts, trust: k.pub, home });
    expect(again.bundles.map((b) => [b.status, b.fetched])).toEqual([
      ['present', 0],
      ['present', 0],
      ['present', 0],
    ]);

    // re-publishing the same bundles changes nothing, not even the catalog version
    const re = await publish({ bundles, store: url, storeOptions: opts, signKey: k.key });
    expect(re.bundles.every((b) => b.status === 'unchanged')).toBe(true);
    expect(re.catalog).toMatchObject({ version: pub.catalog.version, written: false });
  });

  it('reads a remote bundle manifest from its first bytes only', async () => {
    const { url, opts } = await backend();
    await publish({ bundles: [bundles[1]], store: url, storeOptions: opts });
    const m = await openRemoteManifest(`${url}/beacon-3.4.2-to-4.0.1.tar.gz`, opts);
    expect(m.manifest).toMatchObject({ product: 'beacon', from: '3.4.2', to: '4.0.1' });
    expect(m.signature).toBeInstanceOf(Buffer);
    expect(m.size).toBe((await stat(bundles[1])).size);
    expect(m.bytesRead).toBeLessThan(m.size / 4);
  });

  it('extends the ranged read when the manifest is larger than the first range', async () => {
    const { url, opts } = await backend();
    const big = await makeBundle(await tmp(), { from: '4.2.0', to: '4.3.0', payload: 8_000_000, manifestPad: 600_000 });
    await publish({ bundles: [big], store: url, storeOptions: opts });
    const m = await openRemoteManifest(`${url}/beacon-4.2.0-to-4.3.0.tar.gz`, opts);
    expect(m.manifest).toMatchObject({ from: '4.2.0', to: '4.3.0' });
    expect(m.bytesRead).toBeGreaterThan(256 * 1024);
    expect(m.bytesRead).toBeLessThan(m.size);
  });
});
