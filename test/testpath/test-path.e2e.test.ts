/**
 * uphop test-path on the reference product: 3.4.2 -> 4.2.0 forward, back and
 * forward again on SQLite, PostgreSQL and MariaDB with seeded data, valid JUnit
 * XML; and a deliberately broken down migration fails it, naming hop, direction
 * and migration.
 */
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundlesDir, cli } from '../helpers/manager.js';
import { serviceAvailable } from '../helpers/services.js';
import { variant, type Variant } from '../helpers/variant.js';
import { all, parseXml } from '../helpers/xml.js';

// Beacon's worker writes heartbeats (worker_heartbeats, then settings from 4.2.0): rows that change on their
// own. Its bundles say so (test_path.ignore_data), so no --ignore-data flag is needed.
const BEACON = ['--values', 'templates/values.sample.yaml', '--allow-unsigned'];

let out: string;
beforeAll(async () => {
  out = await mkdtemp(path.join(tmpdir(), 'uphop-tp-out-'));
});
afterAll(() => rm(out, { recursive: true, force: true }));

const dbs = [
  { db: 'sqlite', ok: async () => true },
  { db: 'postgres', ok: () => serviceAvailable('pg') },
  { db: 'mysql', ok: () => serviceAvailable('mysql') },
];

for (const { db, ok } of dbs) {
  describe.skipIf(!(await ok()))(`test-path 3.4.2 -> 4.2.0 on ${db}`, () => {
    it('passes every hop up and down and writes valid JUnit XML, a summary and a report', async () => {
      const junit = path.join(out, `${db}.xml`);
      const r = await cli([
        'test-path',
        '--from',
        '3.4.2',
        '--to',
        '4.2.0',
        '--bundles',
        bundlesDir(),
        '--db',
        db,
        '--junit',
        junit,
        '--reports',
        path.join(out, 'reports'),
        '--rows',
        '2000',
        ...BEACON,
        '--json',
      ]);
      expect(r.code, r.stderr.slice(-3000)).toBe(0);
      const res = JSON.parse(r.stdout);
      expect(res).toMatchObject({ outcome: 'passed', product: 'beacon', seeded: expect.stringMatching(/^2000 items, 200 jobs/) });
      // the bundles' test_path.ignore_data, and nothing else, went uncompared
      expect(res.ignoredData).toEqual(['settings', 'worker_heartbeats']);
      // the seed touched 3.4.2's tables only (tags come with 4.0.1), the verify hook ran after each hop
      expect(res.seeded).not.toMatch(/tags/);
      const verified = r.stderr
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l))
        .filter((e) => e.type === 'log' && /^verified /.test(e.message));
      // after each hop's install and again after its reinstall
      expect(verified.map((e) => e.message.split(':')[0])).toEqual(['verified 4.0.1', 'verified 4.1.1', 'verified 4.2.0']);
      const doc = parseXml(await readFile(junit, 'utf8'));
      const cases = all(doc, 'testcase');
      expect(cases.map((c) => c.attrs.name)).toEqual(['3.4.2 -> 4.0.1 up', '3.4.2 -> 4.0.1 down', '4.0.1 -> 4.1.1 up', '4.0.1 -> 4.1.1 down', '4.1.1 -> 4.2.0 up', '4.1.1 -> 4.2.0 down']);
      expect(all(doc, 'failure')).toHaveLength(0);
      expect(all(doc, 'testsuite')[0].attrs).toMatchObject({ tests: '6', failures: '0' });
      expect(await readFile(junit.replace(/\.xml$/, '.md'), 'utf8')).toMatch(/\| 4\.1\.1 -> 4\.2\.0 \| down \| pass \|/);
      const report = JSON.parse(await readFile(res.report.replace(/\.html$/, '.json'), 'utf8'));
      expect(report).toMatchObject({ kind: 'test-path', outcome: 'succeeded' });
      // named by the product the bundles name (no --product given)
      expect(path.basename(res.report)).toMatch(new RegExp(`-test-path-beacon-3\\.4\\.2-to-4\\.2\\.0-${db}\\.html$`));
      expect(report.hops).toHaveLength(3);
      expect(report.migrations.length).toBeGreaterThan(6);
    });
  });
}

describe('a broken down migration', () => {
  let v: Variant;
  beforeAll(async () => {
    v = await variant();
  });
  afterAll(() => v?.cleanup());

  it('fails test-path, naming the hop, the direction and the migration (exit 1, JUnit failure)', async () => {
    const file = path.join(v.dir, 'schema-migrations/4.0.1/001-create-tags.mjs');
    const text = await readFile(file, 'utf8');
    await v.write(
      'schema-migrations/4.0.1/001-create-tags.mjs',
      text.replace(/export async function down\(([^)]*)\) \{/, 'export async function down($1) {\n  throw new Error("down of create-tags is broken");'),
    );
    v.build('none-to-3.4.2');
    const dir = path.dirname(v.build('3.4.2-to-4.0.1'));
    const junit = path.join(out, 'broken.xml');
    const r = await cli(['test-path', '--from', '3.4.2', '--to', '4.0.1', '--bundles', dir, '--junit', junit, '--reports', path.join(out, 'reports'), '--rows', '500', ...BEACON]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL 3\.4\.2 -> 4\.0\.1 down .*migration 4\.0\.1\/001-create-tags\.mjs: .*down of create-tags is broken/);
    const failures = all(parseXml(await readFile(junit, 'utf8')), 'failure');
    expect(failures).toHaveLength(1);
    expect(failures[0].text).toContain('migration: 4.0.1/001-create-tags.mjs');
  });
});

describe('test-path from a store', () => {
  it('fetches the chain (signed catalog and bundles) and tests the hop', async () => {
    const { keygen, buildSigned } = await import('../upgrade/fixtures.js');
    const dir = await mkdtemp(path.join(out, 'store-'));
    const keys = await keygen(path.join(dir, 'keys'));
    const built = await buildSigned(keys, path.join(dir, 'bundles'));
    const files = ['none-to-3.4.2', '3.4.2-to-4.0.1'].map((h) => path.join(built, `beacon-${h}.tar.gz`));
    const store = `file://${path.join(dir, 'store')}`;
    const p = await cli(['publish', ...files, '--store', store, '--sign-key', keys.key]);
    expect(p.code, p.stderr).toBe(0);
    const r = await cli([
      'test-path',
      '--from',
      '3.4.2',
      '--to',
      '4.0.1',
      '--store',
      store,
      '--trust',
      keys.pub,
      '--rows',
      '300',
      '--reports',
      path.join(out, 'reports'),
      '--values',
      'templates/values.sample.yaml',
      '--json',
    ]);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(JSON.parse(r.stdout).cases.map((c: any) => `${c.hop} ${c.direction} ${c.ok}`)).toEqual(['3.4.2 -> 4.0.1 up true', '3.4.2 -> 4.0.1 down true']);
  });
});
