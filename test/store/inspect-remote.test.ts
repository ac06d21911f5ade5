/** `uphop inspect URL` (built CLI) shows a bundle in a store after reading only its first bytes. */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publish } from '../../src/store/publish.js';
import { cli } from '../helpers/manager.js';
import { BUCKET, cleanup, keys, makeBundle, startS3, tmp, type S3Fixture } from './helpers.js';

const MiB = 1024 * 1024;
const S3_ENV = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };
let s3: S3Fixture;
let file: string;
let size: number;
beforeAll(async () => {
  s3 = await startS3();
  const dir = await tmp();
  const k = await keys(dir);
  file = await makeBundle(dir, { from: '4.0.1', to: '4.1.1', payload: 12 * MiB, signKey: k.key });
  size = (await stat(file)).size;
});
afterAll(async () => {
  await s3.stop();
  await cleanup();
});

describe('uphop inspect of a bundle in a store', () => {
  it('reads the manifest from s3:// with a ranged request, far below the bundle size', async () => {
    const url = `s3://${BUCKET}/inspect`;
    await publish({ bundles: [file], store: url, storeOptions: s3.opts });
    s3.resetServed();
    const r = await cli(['inspect', `${url}/${path.basename(file)}`, '--endpoint', s3.endpoint, '--json'], S3_ENV);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res).toMatchObject({ product: 'beacon', from: '4.0.1', to: '4.1.1', source: `${url}/${path.basename(file)}`, remote: { size } });
    expect(res.signer).not.toBeNull(); // test bundles carry a signature but no signer name
    expect(res.remote.bytesRead).toBeLessThanOrEqual(256 * 1024);
    expect(s3.served()).toBeGreaterThan(0);
    expect(s3.served()).toBeLessThan(size / 20);
  });

  it('reads it from file:// and says how much it read', async () => {
    const dir = await tmp();
    await publish({ bundles: [file], store: `file://${dir}` });
    const r = await cli(['inspect', `file://${dir}/${path.basename(file)}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('beacon 4.0.1 -> 4.1.1');
    expect(r.stdout).toMatch(/read 256\.0 KiB of 12\.\d MiB from file:\/\//);
  });

  it('keeps reading a local path as a file', async () => {
    const r = await cli(['inspect', file, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ product: 'beacon', from: '4.0.1', source: file });
    expect(JSON.parse(r.stdout).remote).toBeUndefined();
  });

  it('says which object is missing (exit 1) for a key not in the store', async () => {
    const dir = await tmp();
    const r = await cli(['inspect', `file://${dir}/beacon-1.0.0-to-2.0.0.tar.gz`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('has no object "beacon-1.0.0-to-2.0.0.tar.gz"');
  });
});
