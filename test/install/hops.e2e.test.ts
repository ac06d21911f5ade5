/**
 * The promise of uphop, end to end with the built CLI and real processes: a fresh
 * install of Beacon 3.4.2, business data seeded, then the three hops to 4.2.0 with
 * the REST service answering its new version after each, and the data intact and
 * migrated (same rows, renamed column, backfilled slugs) — on SQLite, PostgreSQL
 * and MariaDB.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundle, cli, health, sandbox, type DbKind, type Sandbox } from '../helpers/manager.js';
import { serviceAvailable } from '../helpers/services.js';
// @ts-expect-error the product is plain JS
import { slugify } from '../../product/lib/slug.mjs';

const ROWS = 3000;
const HOPS = [
  ['3.4.2-to-4.0.1', '4.0.1'],
  ['4.0.1-to-4.1.1', '4.1.1'],
  ['4.1.1-to-4.2.0', '4.2.0'],
] as const;

const digest = (pairs: [number, string][]) => createHash('sha256').update(JSON.stringify(pairs)).digest('hex');

async function items(port: number): Promise<any[]> {
  const res = await fetch(`http://127.0.0.1:${port}/items`);
  expect(res.status).toBe(200);
  return (await res.json()) as any[];
}

const kinds: { kind: DbKind; available: () => Promise<boolean> }[] = [
  { kind: 'sqlite', available: async () => true },
  { kind: 'pg', available: () => serviceAvailable('pg') },
  { kind: 'mysql', available: () => serviceAvailable('mysql') },
];

for (const { kind, available } of kinds) {
  describe.skipIf(!(await available()))(`hops 3.4.2 -> 4.2.0 on ${kind}`, () => {
    let sb: Sandbox;
    let seeded: string;
    beforeAll(async () => {
      sb = await sandbox(kind);
    });
    afterAll(() => sb?.cleanup());

    it('installs 3.4.2 fresh and serves it', async () => {
      const r = await cli(['install', bundle('none-to-3.4.2'), '--root', sb.root, '--values', sb.valuesFile, '--allow-unsigned']);
      expect(r.stderr + r.stdout).toContain('installed and healthy');
      expect(r.code).toBe(0);
      expect((await health(sb.restPort)).body.version).toBe('3.4.2');
      const rows = Array.from({ length: ROWS }, (_, i) => ({ name: `Item ${i} — ${i % 7 === 0 ? 'Ünïcode Näme' : 'plain name'} #${i}` }));
      for (let i = 0; i < rows.length; i += 200)
        await sb
          .db()('items')
          .insert(rows.slice(i, i + 200));
      const got = await items(sb.restPort);
      expect(got).toHaveLength(ROWS);
      seeded = digest(got.map((x) => [x.id, x.name]));
    });

    for (const [hop, to] of HOPS) {
      it(`hops ${hop} with the data intact`, async () => {
        const r = await cli(['install', bundle(hop), '--root', sb.root, '--allow-unsigned', '--json']);
        expect(r.code, r.stderr).toBe(0);
        expect(JSON.parse(r.stdout)).toMatchObject({ outcome: 'installed', to });
        const h = await health(sb.restPort);
        expect(h).toMatchObject({ status: 200, body: { version: to } });
        const got = await items(sb.restPort);
        const titleKey = to === '4.2.0' ? 'title' : 'name';
        expect(digest(got.map((x) => [x.id, x[titleKey]]))).toBe(seeded);
        if (to !== '4.0.1') expect(got.every((x) => x.slug === slugify(x[titleKey]))).toBe(true);
      });
    }

    it('re-running the last bundle is a no-op, and status/history tell the story', async () => {
      const again = await cli(['install', bundle('4.1.1-to-4.2.0'), '--root', sb.root, '--allow-unsigned']);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain('already installed: nothing to do');
      const st = JSON.parse((await cli(['status', '--root', sb.root, '--json'])).stdout);
      expect(st).toMatchObject({
        state: 'installed',
        version: '4.2.0',
        services: [
          { name: 'rest-service', status: 'running' },
          { name: 'worker', status: 'running' },
        ],
      });
      const hist = JSON.parse((await cli(['history', '--root', sb.root, '--json'])).stdout);
      expect(hist.hops.map((h: any) => `${h.from}->${h.to}:${h.result}`)).toEqual(['none->3.4.2:succeeded', '3.4.2->4.0.1:succeeded', '4.0.1->4.1.1:succeeded', '4.1.1->4.2.0:succeeded']);
    });
  });
}
