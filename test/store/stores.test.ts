/** The Store contract, the same on file:// and on a real S3-protocol server. */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UphopError } from '../../src/errors.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/types.js';
import { BUCKET, cleanup, startS3, tmp, type S3Fixture } from './helpers.js';

let s3: S3Fixture;
beforeAll(async () => {
  s3 = await startS3();
});
afterAll(async () => {
  await s3.stop();
  await cleanup();
});

const text = async (r: Readable) => {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts).toString();
};

/** what store.read hands over, copied out of its reused buffer, and how many chunks it came in */
const readAll = async (store: Store, key: string, opts = {}) => {
  const parts: Buffer[] = [];
  await store.read(key, opts, async (chunk) => {
    parts.push(Buffer.from(chunk));
    await new Promise((r) => setImmediate(r)); // a sink that takes its time, like a disk write
  });
  return Buffer.concat(parts);
};

const kinds: [string, () => Promise<Store>][] = [
  ['file://', async () => openStore(`file://${await tmp()}`)],
  ['s3://', async () => openStore(`s3://${BUCKET}/p${Math.random().toString(36).slice(2)}`, s3.opts)],
];

describe.each(kinds)('%s store', (_kind, open) => {
  it('puts, reads whole and ranged, heads, lists and deletes objects', async () => {
    const store = await open();
    try {
      expect(await store.head('a/b.txt')).toBeUndefined();
      await store.put('a/b.txt', Buffer.from('0123456789'));
      await store.put('a/c.txt', Readable.from([Buffer.from('streamed '), Buffer.from('body')]));
      await store.put('top.txt', 'x');
      expect(await text(await store.get('a/b.txt'))).toBe('0123456789');
      expect(await text(await store.get('a/b.txt', { range: { start: 3, end: 5 } }))).toBe('345');
      expect(await text(await store.get('a/b.txt', { range: { start: 7 } }))).toBe('789');
      expect(await text(await store.get('a/c.txt'))).toBe('streamed body');
      const info = await store.head('a/b.txt');
      expect(info?.size).toBe(10);
      expect(info?.etag).toBeTruthy();
      expect((await store.list('a/')).map((o) => o.key)).toEqual(['a/b.txt', 'a/c.txt']);
      await store.put('a/b.txt', Buffer.from('changed'));
      expect((await store.head('a/b.txt'))?.etag).not.toBe(info?.etag);
      await store.delete('a/b.txt');
      expect(await store.head('a/b.txt')).toBeUndefined();
      await expect(store.get('a/b.txt')).rejects.toMatchObject({ code: 'STORE_OBJECT_MISSING' });
    } finally {
      store.close();
    }
  });

  it('read() hands over the same bytes as get(), whole and ranged, through a reused buffer', async () => {
    const store = await open();
    try {
      const big = Buffer.alloc(3 * 1024 * 1024 + 17);
      for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 12)) & 0xff;
      await store.put('big.bin', big);
      expect((await readAll(store, 'big.bin')).equals(big)).toBe(true);
      await store.put('b.txt', Buffer.from('0123456789'));
      expect((await readAll(store, 'b.txt', { range: { start: 3, end: 5 } })).toString()).toBe('345');
      expect((await readAll(store, 'b.txt', { range: { start: 7 } })).toString()).toBe('789');
      const etag = (await store.head('b.txt'))!.etag;
      expect((await readAll(store, 'b.txt', { ifMatch: etag })).toString()).toBe('0123456789');
      await expect(readAll(store, 'nothing.bin')).rejects.toMatchObject({ code: 'STORE_OBJECT_MISSING', exitCode: 1 });
      const boom = new Error('disk full');
      await expect(
        store.read('big.bin', {}, () => {
          throw boom;
        }),
      ).rejects.toBe(boom);
      await expect(
        store.read('big.bin', {}, async () => {
          throw boom;
        }),
      ).rejects.toBe(boom);
    } finally {
      store.close();
    }
  });

  it('refuses keys that escape the store', async () => {
    const store = await open();
    try {
      await expect(store.put('../evil', 'x')).rejects.toMatchObject({ code: 'STORE_BAD_KEY', exitCode: 2 });
      await expect(store.get('a/../../evil')).rejects.toMatchObject({ code: 'STORE_BAD_KEY' });
      await expect(store.read('a/../../evil', {}, () => {})).rejects.toMatchObject({ code: 'STORE_BAD_KEY' });
    } finally {
      store.close();
    }
  });
});

describe('s3 store errors are one clear sentence', () => {
  const sentence = (e: UphopError) => {
    expect(e).toBeInstanceOf(UphopError);
    expect(e.message.split('. ').length).toBe(1);
    expect(e.message).not.toMatch(/\n|at .*\.js|\$metadata/);
    expect(e.hint).toBeTruthy();
  };

  it('wrong credentials', async () => {
    const store = openStore(`s3://${BUCKET}`, { ...s3.opts, credentials: { accessKeyId: 'WRONG', secretAccessKey: 'nope' } });
    const e = await store.head('catalog.json').catch((x) => x);
    store.close();
    sentence(e);
    expect(e.code).toBe('STORE_AUTH');
    expect(e.message).toContain('rejected the credentials');
  });

  it('wrong credentials on the download path (read)', async () => {
    const store = openStore(`s3://${BUCKET}`, { ...s3.opts, credentials: { accessKeyId: 'WRONG', secretAccessKey: 'nope' } });
    const e = await store.read('catalog.json', {}, () => {}).catch((x) => x);
    store.close();
    sentence(e);
    expect(e.code).toBe('STORE_AUTH');
  });

  it('a server that went away between two reads', async () => {
    const own = await startS3();
    const store = openStore(`s3://${BUCKET}`, own.opts);
    await store.put('x.bin', 'abc');
    expect((await readAll(store, 'x.bin')).toString()).toBe('abc');
    await own.stop();
    const e = await store.read('x.bin', {}, () => {}).catch((x) => x);
    store.close();
    sentence(e);
    expect(e.code).toBe('STORE_UNREACHABLE');
    expect(e.message).toContain('ECONNREFUSED');
  });

  it('missing bucket', async () => {
    const store = openStore('s3://no-such-bucket/x', s3.opts);
    const e = await store.list('').catch((x) => x);
    store.close();
    sentence(e);
    expect(e.code).toBe('STORE_NO_BUCKET');
    expect(e.message).toBe(`The bucket "no-such-bucket" does not exist at ${s3.endpoint}.`);
  });
});
