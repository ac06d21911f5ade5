/**
 * The detached `<bundle>.tar.gz.sig` through distribution: publish makes it (or
 * checks the one beside the bundle) and uploads it next to the bundle, the catalog
 * records it, fetch downloads it beside the file and refuses a bundle whose
 * whole-file signature fails, on file:// and on a real S3-protocol server.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publish } from '../../src/store/publish.js';
import { fetchBundles } from '../../src/store/fetch.js';
import { openStore } from '../../src/store/open.js';
import { readSmall } from '../../src/store/small.js';
import type { StoreOptions } from '../../src/store/types.js';
import { BUCKET, cleanup, keys, makeBundle, startS3, tmp, type S3Fixture } from './helpers.js';

let s3: S3Fixture;
let k: Awaited<ReturnType<typeof keys>>;
let other: Awaited<ReturnType<typeof keys>>;
beforeAll(async () => {
  s3 = await startS3();
  k = await keys(await tmp());
  other = await keys(await tmp());
});
afterAll(async () => {
  await s3.stop();
  await cleanup();
});

const backends: [string, () => Promise<{ url: string; opts: StoreOptions }>][] = [
  ['file://', async () => ({ url: `file://${await tmp()}`, opts: {} })],
  ['s3://', async () => ({ url: `s3://${BUCKET}/sig-${Math.random().toString(36).slice(2)}`, opts: s3.opts })],
];

describe.each(backends)('detached signatures on %s', (_kind, backend) => {
  it('publish uploads <file>.sig, the catalog lists it, fetch brings it beside the bundle and OpenSSL accepts it', async () => {
    const { url, opts } = await backend();
    const dir = await tmp();
    const b = await makeBundle(dir, { from: '1.0.0', to: '1.1.0', signKey: k.key, payload: 300_000 });
    const pub = await publish({ bundles: [b], store: url, storeOptions: opts, signKey: k.key });
    expect(pub.bundles[0]).toMatchObject({ file: 'beacon-1.0.0-to-1.1.0.tar.gz', sig: 'beacon-1.0.0-to-1.1.0.tar.gz.sig' });
    const store = openStore(url, opts);
    const catalog = JSON.parse((await readSmall(store, 'catalog.json'))!.toString());
    expect(catalog.hops[0].sig).toBe('beacon-1.0.0-to-1.1.0.tar.gz.sig');
    expect((await readSmall(store, 'beacon-1.0.0-to-1.1.0.tar.gz.sig'))!.equals(await readFile(`${b}.sig`))).toBe(true);
    store.close();
    const out = await tmp();
    const got = await fetchBundles({ from: '1.0.0', to: '1.1.0', store: url, out, storeOptions: opts, trust: k.pub, home: await tmp() });
    expect(got.bundles[0].sig).toBe(`${got.bundles[0].path}.sig`);
    const v = spawnSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', k.pub, '-rawin', '-in', got.bundles[0].path, '-sigfile', got.bundles[0].sig!], { encoding: 'utf8' });
    expect(v.status, v.stderr).toBe(0);
    // publishing the same bundle again changes nothing
    const re = await publish({ bundles: [b], store: url, storeOptions: opts, signKey: k.key });
    expect(re.bundles[0].status).toBe('unchanged');
  });

  it('fetch refuses (exit 3) a bundle whose .sig in the store was swapped, and leaves no file behind', async () => {
    const { url, opts } = await backend();
    const b = await makeBundle(await tmp(), { from: '2.0.0', to: '2.1.0', signKey: k.key, payload: 100_000 });
    await publish({ bundles: [b], store: url, storeOptions: opts, signKey: k.key });
    const store = openStore(url, opts);
    const sig = (await readSmall(store, 'beacon-2.0.0-to-2.1.0.tar.gz.sig'))!;
    sig[10] ^= 1;
    await store.put('beacon-2.0.0-to-2.1.0.tar.gz.sig', sig);
    store.close();
    const out = await tmp();
    const err = await fetchBundles({ from: '2.0.0', to: '2.1.0', store: url, out, storeOptions: opts, trust: k.pub, home: await tmp() }).catch((e) => e);
    expect(err).toMatchObject({ code: 'BUNDLE_BAD_FILE_SIGNATURE', exitCode: 3 });
    expect(existsSync(path.join(out, 'beacon-2.0.0-to-2.1.0.tar.gz'))).toBe(false);
    expect(existsSync(path.join(out, 'beacon-2.0.0-to-2.1.0.tar.gz.sig'))).toBe(false);
  });

  it('publish refuses a .sig beside the bundle that another key made, before uploading anything', async () => {
    const { url, opts } = await backend();
    const b = await makeBundle(await tmp(), { from: '3.0.0', to: '3.1.0', signKey: k.key });
    const { writeFileSignature } = await import('../../src/bundle/file-sig.js');
    const { loadPrivateKey } = await import('../../src/bundle/sign.js');
    await writeFileSignature(b, await loadPrivateKey(other.key));
    const err = await publish({ bundles: [b], store: url, storeOptions: opts, signKey: k.key }).catch((e) => e);
    expect(err).toMatchObject({ code: 'BUNDLE_BAD_FILE_SIGNATURE', exitCode: 3 });
    const store = openStore(url, opts);
    expect(await store.head('beacon-3.0.0-to-3.1.0.tar.gz')).toBeUndefined();
    store.close();
  });
});
