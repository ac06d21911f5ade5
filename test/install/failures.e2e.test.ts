/**
 * Whatever fails during a hop, the manager ends on the old version, running,
 * healthy, with its data unchanged: a migration that throws halfway, a health
 * check that never passes, a service that crashes on start.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundle, cli, health, sandbox, type DbKind, type Sandbox } from '../helpers/manager.js';
import { serviceAvailable } from '../helpers/services.js';
import { variant, type Variant } from '../helpers/variant.js';

const HOP = '4.0.1-to-4.1.1';

async function dataDigest(sb: Sandbox): Promise<string> {
  const rows = await sb.db()('items').select('id', 'name').orderBy('id');
  const cols = Object.keys((await sb.db()('items').columnInfo()) as object).sort();
  return createHash('sha256').update(JSON.stringify({ rows, cols })).digest('hex');
}

async function managerAt401(kind: DbKind): Promise<Sandbox> {
  const sb = await sandbox(kind);
  for (const hop of ['none-to-3.4.2', '3.4.2-to-4.0.1']) {
    const r = await cli(['install', bundle(hop), '--root', sb.root, '--values', sb.valuesFile, '--allow-unsigned']);
    if (r.code !== 0) {
      await sb.cleanup(); // a failed setup must not leave services running
      throw new Error(r.stderr);
    }
  }
  const rows = Array.from({ length: 1000 }, (_, i) => ({ name: `row ${i}` }));
  for (let i = 0; i < rows.length; i += 200)
    await sb
      .db()('items')
      .insert(rows.slice(i, i + 200));
  return sb;
}

async function expectBackOn401(sb: Sandbox, before: string) {
  expect(await health(sb.restPort)).toMatchObject({ status: 200, body: { version: '4.0.1' } });
  expect(await dataDigest(sb)).toBe(before);
  const st = JSON.parse((await cli(['status', '--root', sb.root, '--json'])).stdout);
  expect(st).toMatchObject({ state: 'installed', version: '4.0.1' });
  const hist = JSON.parse((await cli(['history', '--root', sb.root, '--json'])).stdout);
  expect(hist.hops.at(-1)).toMatchObject({ from: '4.0.1', to: '4.1.1', result: 'rolled-back' });
}

let v: Variant;
beforeAll(async () => {
  v = await variant();
});
afterAll(() => v?.cleanup());

const kinds: { kind: DbKind; ok: () => Promise<boolean> }[] = [
  { kind: 'sqlite', ok: async () => true },
  { kind: 'mysql', ok: () => serviceAvailable('mysql') }, // no transactional DDL: the downs undo
  { kind: 'pg', ok: () => serviceAvailable('pg') },
];

for (const { kind, ok } of kinds) {
  describe.skipIf(!(await ok()))(`a migration that throws halfway (${kind})`, () => {
    let sb: Sandbox;
    afterAll(() => sb?.cleanup());
    it('rolls back to 4.0.1 with the schema and data as they were', async () => {
      sb = await managerAt401(kind);
      const before = await dataDigest(sb);
      const vv = await variant();
      await vv.write(
        'schema-migrations/4.1.1/003-explode.mjs',
        `
export async function up({ context: knex }) {
  await knex.schema.alterTable('items', (t) => t.string('doomed'));
  await knex('items').update({ doomed: 'x' });
  throw new Error('boom in the middle of 003');
}
export async function down({ context: knex }) {
  if (await knex.schema.hasColumn('items', 'doomed')) await knex.schema.alterTable('items', (t) => t.dropColumn('doomed'));
}
`,
      );
      const r = await cli(['install', vv.build(HOP), '--root', sb.root, '--allow-unsigned']);
      await vv.cleanup();
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/failed at step "migrate schema".*boom in the middle of 003.*rolled back/);
      await expectBackOn401(sb, before);
      const applied = (await sb.db()('uphop_migrations').select('name')).map((x: any) => x.name);
      expect(applied.some((n: string) => n.startsWith('4.1.1/'))).toBe(false);
    });
  });
}

describe('a hop whose new version is unhealthy', () => {
  let sb: Sandbox;
  let before: string;
  beforeAll(async () => {
    sb = await managerAt401('sqlite');
    before = await dataDigest(sb);
  });
  afterAll(() => sb?.cleanup());

  it('rolls back when a health check never passes', async () => {
    await v.editSpec(HOP, (s) => {
      s.services.health[0].body = '"version":"9.9.9"';
      s.services.health[0].timeout = '3s';
    });
    const r = await cli(['install', v.build(HOP), '--root', sb.root, '--allow-unsigned']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/HEALTH_CHECK_FAILED.*"rest".*rolled back and beacon 4\.0\.1 is running again and healthy/s);
    await expectBackOn401(sb, before);
  });

  it('rolls back when the new service crashes on start', async () => {
    const pkg = await mkdtemp(path.join(tmpdir(), 'uphop-crashpkg-'));
    await writeFile(path.join(pkg, 'server.js'), "console.error('fatal: cannot start'); process.exit(1);\n");
    await writeFile(path.join(pkg, 'package.json'), '{"name":"beacon-rest","version":"4.1.1"}\n');
    execFileSync('tar', ['-czf', path.join(v.artifacts, 'beacon-rest-4.1.1.tgz'), '-C', pkg, 'server.js', 'package.json']);
    await rm(pkg, { recursive: true, force: true });
    const r = await cli(['install', v.build(HOP), '--root', sb.root, '--allow-unsigned']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/SERVICE_CRASHED/);
    expect(r.stderr).toContain('fatal: cannot start');
    await expectBackOn401(sb, before);
  });
});

describe("a fresh install straight to 4.2.0 (every version's migrations in one bundle)", () => {
  it("applies them in version order: a later `pre` needs an earlier version's tables", async () => {
    const vv = await variant();
    const sb = await sandbox('sqlite');
    try {
      const YAML = (await import('yaml')).default;
      const spec = YAML.parse(await (await import('node:fs/promises')).readFile('bundles/none-to-3.4.2/bundle.yaml', 'utf8'));
      spec.to = '4.2.0';
      for (const c of spec.components) {
        c.version = '4.2.0';
        c.package = c.package.replace('3.4.2', '4.2.0');
      }
      spec.services.health[0].body = '"version":"4.2.0"';
      spec.agents.package = spec.agents.package.replace('3.4.2', '4.2.0');
      await vv.write('bundles/none-to-4.2.0/bundle.yaml', YAML.stringify(spec));
      const r = await cli(['install', vv.build('none-to-4.2.0'), '--root', sb.root, '--values', sb.valuesFile, '--allow-unsigned']);
      expect(r.code, r.stderr).toBe(0);
      expect(await health(sb.restPort)).toMatchObject({ status: 200, body: { version: '4.2.0' } });
      expect((await sb.db()('uphop_migrations').select('name')).length).toBe(7);
    } finally {
      await sb.cleanup();
      await vv.cleanup();
    }
  });
});

for (const { kind, ok } of kinds) {
  describe.skipIf(!(await ok()))(`a migration that cannot be reverted (${kind})`, () => {
    it('is undone by restoring the database backup taken before the hop', async () => {
      const sb = await managerAt401(kind);
      const vv = await variant();
      try {
        const before = await dataDigest(sb);
        await vv.write(
          'schema-migrations/4.1.1/003-one-way.mjs',
          `
export async function up({ context: knex }) {
  await knex.schema.createTable('one_way', (t) => t.increments('id'));
}
`,
        );
        await vv.editSpec(HOP, (s) => {
          s.services.health[0].body = '"version":"9.9.9"';
          s.services.health[0].timeout = '2s';
        });
        const r = await cli(['install', vv.build(HOP), '--root', sb.root, '--allow-unsigned']);
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/restoring the database backup/);
        await expectBackOn401(sb, before);
        expect(await sb.db().schema.hasTable('one_way')).toBe(false);
        expect(await sb.db().schema.hasColumn('items', 'slug')).toBe(false);
      } finally {
        await sb.cleanup();
        await vv.cleanup();
      }
    });
  });
}
