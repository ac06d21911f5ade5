/**
 * `uphop upgrade` end to end with the built CLI: a sandbox manager goes from
 * 3.4.2 to 4.2.0 in one command through a store (file:// and a real S3-protocol
 * server), with signed catalogs and bundles and the real services restarted on
 * every hop; refusals change nothing and say why (exit 2 / 3).
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, health, sandbox, type Sandbox } from '../helpers/manager.js';
import { BUCKET, cleanup, startS3, tmp, type S3Fixture } from '../store/helpers.js';
import { buildSigned, expireCatalog, S3_ENV, type Keys, keygen } from './fixtures.js';

let s3: S3Fixture;
let keys: Keys;
let signed: string;
const stores: Record<'file' | 's3', { url: string; flags: string[] }> = {} as never;

beforeAll(async () => {
  s3 = await startS3();
  keys = await keygen(await tmp());
  signed = await buildSigned(keys, await tmp());
  const files = (await readdir(signed)).filter((f) => f.endsWith('.tar.gz')).map((f) => path.join(signed, f));
  stores.file = { url: `file://${await tmp()}`, flags: [] };
  stores.s3 = { url: `s3://${BUCKET}/upgrade`, flags: ['--endpoint', s3.endpoint] };
  for (const s of Object.values(stores)) {
    const r = await cli(['publish', ...files, '--store', s.url, '--sign-key', keys.key, ...s.flags], S3_ENV);
    expect(r.code, r.stderr).toBe(0);
  }
}, 180_000);
afterAll(async () => {
  await s3?.stop();
  await cleanup();
});

const upgrade = (sb: Sandbox, kind: 'file' | 's3', ...args: string[]) => cli(['upgrade', '--store', stores[kind].url, ...stores[kind].flags, '--root', sb.root, '--trust', keys.pub, ...args], S3_ENV);

const history = async (sb: Sandbox) => JSON.parse((await cli(['history', '--root', sb.root, '--json'])).stdout).hops.map((h: any) => `${h.from}->${h.to}:${h.result}`);

describe.each(['file', 's3'] as const)('upgrade 3.4.2 -> 4.2.0 through a %s store', (kind) => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await sandbox('sqlite');
    const r = await cli(['install', path.join(signed, 'beacon-none-to-3.4.2.tar.gz'), '--root', sb.root, '--values', sb.valuesFile, '--trust', keys.pub]);
    expect(r.code, r.stderr).toBe(0);
  }, 120_000);
  afterAll(() => sb?.cleanup());

  it('--dry-run shows the three hops and what is downloaded, and changes nothing', async () => {
    const r = await upgrade(sb, kind, '--to', '4.2.0', '--dry-run', '--json');
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res).toMatchObject({ outcome: 'dry-run', from: '3.4.2', to: '4.2.0' });
    expect(res.hops.map((h: any) => [h.file, h.cached, h.install])).toEqual([
      ['beacon-3.4.2-to-4.0.1.tar.gz', 'missing', 'not-run'],
      ['beacon-4.0.1-to-4.1.1.tar.gz', 'missing', 'not-run'],
      ['beacon-4.1.1-to-4.2.0.tar.gz', 'missing', 'not-run'],
    ]);
    expect(res.bytes).toBe(res.hops.reduce((n: number, h: any) => n + h.size, 0));
    expect(existsSync(res.cache)).toBe(false);
    expect((await health(sb.restPort)).body.version).toBe('3.4.2');
  });

  it('takes the manager to 4.2.0 in one command', async () => {
    const r = await upgrade(sb, kind, '--to', '4.2.0');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('beacon 3.4.2 -> 4.2.0 upgraded in 3 hops, installed and healthy');
    expect(await health(sb.restPort)).toMatchObject({ status: 200, body: { version: '4.2.0' } });
    expect(await history(sb)).toEqual(['none->3.4.2:succeeded', '3.4.2->4.0.1:succeeded', '4.0.1->4.1.1:succeeded', '4.1.1->4.2.0:succeeded']);
    // installed bundles are kept extracted by the installer; the downloaded archives are gone
    expect(await readdir(path.join(sb.root, 'var/lib/uphop/downloads'))).toEqual([]);
    // one report for the whole upgrade: its three hops, a downtime window each
    const info = JSON.parse((await cli(['report', '--root', sb.root, '--json'])).stdout);
    expect(info.html).toMatch(/-upgrade-to-4\.2\.0\.html$/);
    const report = JSON.parse(await readFile(info.json, 'utf8'));
    expect(report).toMatchObject({ kind: 'upgrade', from: '3.4.2', to: '4.2.0', outcome: 'succeeded' });
    expect(report.hops.map((h: any) => h.label)).toEqual(['1/3 3.4.2 -> 4.0.1', '2/3 4.0.1 -> 4.1.1', '3/3 4.1.1 -> 4.2.0']);
    expect(report.downtime.map((w: any) => w.hop)).toEqual([1, 2, 3]);
  }, 180_000);

  it('is a no-op when the manager is already on the target', async () => {
    const r = await upgrade(sb, kind, '--to', 'latest');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('beacon 4.2.0 is already installed: nothing to do');
    expect((await history(sb)).length).toBe(4);
  });
});

describe('upgrade refuses, changing nothing', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await sandbox('sqlite');
  });
  afterAll(() => sb?.cleanup());

  it('exit 2 when no chain leads to the version, listing what is reachable', async () => {
    const r = await upgrade(sb, 'file', '--to', '9.9.9', '--values', sb.valuesFile);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('No chain of hops leads from none to 9.9.9');
    expect(r.stderr).toContain('reachable from none: 3.4.2, 4.0.1, 4.1.1, 4.2.0');
  });

  it('exit 2 when nothing is installed and no --values are given for the fresh install', async () => {
    const r = await upgrade(sb, 'file', '--to', '4.2.0');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/VALUES_REQUIRED.*fresh install/s);
    expect(existsSync(path.join(sb.root, 'var/lib/uphop/downloads'))).toBe(false);
  });

  it('exit 3 when the catalog is past its expiry', async () => {
    const expired = await expireCatalog(stores.file.url, keys, await tmp());
    const r = await cli(['upgrade', '--to', '4.2.0', '--store', expired, '--root', sb.root, '--trust', keys.pub, '--values', sb.valuesFile]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/CATALOG_EXPIRED.*expired on/);
    expect(existsSync(path.join(sb.root, 'var/lib/uphop/state.json'))).toBe(false);
  });

  it('exit 3 when the catalog is signed by another key', async () => {
    const other = await keygen(await tmp());
    const r = await cli(['upgrade', '--to', '4.2.0', '--store', stores.file.url, '--root', sb.root, '--trust', other.pub, '--values', sb.valuesFile]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('CATALOG_SIGNATURE');
  });
});
