import { createHash } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Knex } from 'knex';
import { MigrationRunner } from '../../src/migrate/runner.js';
import type { MigrationFile } from '../../src/migrate/types.js';
import { hasTransactionalDdl } from '../../src/drivers/db/dialect.js';
import type { UphopEvent } from '../../src/events.js';
import { serviceAvailable } from '../helpers/services.js';
import { createTestDb, snapshot, tableNames, writeMigrations, DIALECTS, type TestDb } from './helpers.js';
import { BASE, FAILING_SQL, MAIN, POST, PRE, failingMain } from './fixtures.js';

const available = {
  sqlite: true,
  pg: await serviceAvailable('pg'),
  mysql: await serviceAvailable('mysql'),
};

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe.each(DIALECTS)('migration runner on %s', (dialect) => {
  // MariaDB also keeps in-flight markers for runs killed mid-migration (src/migrate/inflight.ts)
  const ours = dialect === 'mysql' ? ['uphop_migrations', 'uphop_migrations_inflight'] : ['uphop_migrations'];
  let t: TestDb;
  let knex: Knex;
  let migrations: MigrationFile[];
  let events: UphopEvent[];
  const runner = (list = migrations, k = knex) => new MigrationRunner({ knex: k, migrations: list, emit: (e) => events.push(e) });

  beforeEach(async (ctx) => {
    if (!available[dialect]) ctx.skip();
    t = await createTestDb(dialect);
    knex = t.open();
    migrations = writeMigrations(path.join(t.root, 'migrations'), BASE);
    events = [];
  });
  afterEach(async () => {
    await t?.drop();
  });

  it('applies one phase at a time and records name, version, phase and the file checksum', async () => {
    const r = runner();
    expect((await r.pending()).map((m) => m.name)).toEqual([...PRE, ...MAIN, ...POST]);
    expect(await r.up('pre')).toEqual(PRE);
    expect(await tableNames(knex, dialect)).toEqual(['tags', ...ours]);
    expect(await r.up('main')).toEqual(MAIN);
    expect(await r.up('post')).toEqual(POST);
    expect(await tableNames(knex, dialect)).toEqual(['audit_log', 'notes', 'tags', ...ours]);
    expect(Object.keys(await knex('tags').columnInfo()).sort()).toEqual(['color', 'id', 'label']);
    expect(await knex('notes').select('body')).toEqual([{ body: 'why?; because' }]);

    const applied = await r.executed();
    expect(applied.map((a) => [a.name, a.version, a.phase])).toEqual([
      ['4.0.1/001-create-tags.pre.mjs', '4.0.1', 'pre'],
      ['4.0.1/002-create-notes.sql', '4.0.1', 'main'],
      ['4.0.1/003-add-color.cjs', '4.0.1', 'main'],
      ['4.1.1/001-create-audit.post.js', '4.1.1', 'post'],
    ]);
    for (const a of applied) expect(a.checksum).toBe(sha256(migrations.find((m) => m.name === a.name)!.file));
    const migEvents = events.filter((e) => e.type === 'migration');
    expect(migEvents.filter((e) => e.status === 'end').map((e) => e.name)).toEqual([...PRE, ...MAIN, ...POST]);
    expect(migEvents[0]).toMatchObject({ name: PRE[0], phase: 'pre', status: 'begin' });
  });

  it('is a no-op when run again', async () => {
    await runner().up('pre');
    await runner().up('main');
    await runner().up('post');
    const before = await snapshot(knex, dialect);
    const again = runner();
    expect(await again.pending()).toEqual([]);
    for (const phase of ['pre', 'main', 'post'] as const) expect(await again.up(phase)).toEqual([]);
    expect(await snapshot(knex, dialect)).toEqual(before);
    expect(await knex('tags').count({ n: '*' })).toEqual([{ n: dialect === 'pg' ? '2' : 2 }]);
  });

  it('leaves schema, data and uphop_migrations as before when a migration throws halfway', async () => {
    await runner().up('pre');
    const failing = writeMigrations(path.join(t.root, 'migrations'), failingMain(hasTransactionalDdl(dialect)));
    const r = runner([...migrations, ...failing]);
    const before = await snapshot(knex, dialect);
    const err = await r.up('main').catch((e) => e);
    expect(err).toMatchObject({ code: 'MIGRATION_FAILED', exitCode: 1 });
    expect(err.message).toContain('4.2.0/002-half-done.mjs');
    expect(err.message).toContain('boom halfway');
    expect(await snapshot(knex, dialect)).toEqual(before);
    expect((await knex('tags').select('label')).map((x) => x.label).sort()).toEqual(['blue', 'red']);
    expect(events.filter((e) => e.type === 'migration' && e.status === 'fail').map((e) => e.name)).toEqual(['4.2.0/002-half-done.mjs']);
    // the earlier migrations of the phase were undone, newest first
    expect(events.filter((e) => e.type === 'migration' && e.status === 'down').map((e) => e.name)).toEqual(['4.2.0/001-create-widgets.mjs', '4.0.1/003-add-color.cjs', '4.0.1/002-create-notes.sql']);
  });

  it('reports the database message of a failing SQL migration and undoes the phase', async () => {
    const failing = writeMigrations(path.join(t.root, 'migrations'), FAILING_SQL);
    const r = runner(failing);
    const before = await snapshot(knex, dialect);
    const err = await r.up('main').catch((e) => e);
    expect(err).toMatchObject({ code: 'MIGRATION_FAILED', exitCode: 1 });
    expect(err.message).toMatch(/4\.2\.0\/002-bad\.sql failed: .*no_such_table/);
    const after = await snapshot(knex, dialect);
    expect(after.tables.widgets).toBeUndefined();
    expect(after.records).toEqual(before.records);
  });

  it('refuses drift: an applied migration whose file changed, naming the file', async () => {
    await runner().up('pre');
    await runner().up('main');
    const changed = migrations.find((m) => m.name === '4.0.1/003-add-color.cjs')!;
    appendFileSync(changed.file, '\n// edited after release\n');
    const r = runner();
    const err = await r.checkDrift().catch((e) => e);
    expect(err).toMatchObject({ code: 'MIGRATION_DRIFT', exitCode: 3 });
    expect(err.message).toContain(changed.file);
    expect(err.problems[0].file).toBe(changed.file);
    const before = await snapshot(knex, dialect);
    await expect(r.up('post')).rejects.toMatchObject({ code: 'MIGRATION_DRIFT' });
    expect(await snapshot(knex, dialect)).toEqual(before);
  });

  it('reports applied migrations of older bundles as info, not drift', async () => {
    await runner().up('pre');
    await runner().up('main');
    const newer = runner(migrations.filter((m) => m.phase === 'post'));
    expect(await newer.checkDrift()).toEqual({ verified: [], notInBundle: [...PRE, ...MAIN] });
    expect(events).toContainEqual(expect.objectContaining({ type: 'drift-unchecked', count: 3, message: expect.stringMatching(/^3 applied migration/) }));
    expect(await newer.up('post')).toEqual(POST);
  });

  it('reverts named migrations newest first, skipping ones not applied', async () => {
    await runner().up('pre');
    await runner().up('main');
    const r = runner();
    expect(await r.down([...MAIN, ...POST])).toEqual([...MAIN].reverse());
    expect(await tableNames(knex, dialect)).toEqual(['tags', ...ours]);
    expect(Object.keys(await knex('tags').columnInfo()).sort()).toEqual(['id', 'label']);
    expect((await r.executed()).map((a) => a.name)).toEqual(PRE);
    expect(events.filter((e) => e.type === 'migration' && e.status === 'down').map((e) => e.name)).toEqual([...MAIN].reverse());
    expect(await r.up('main')).toEqual(MAIN);
    await expect(r.down(['9.9.9/001-nope.mjs'])).rejects.toMatchObject({ code: 'MIGRATION_UNKNOWN', exitCode: 1 });
  });

  it('refuses a migration without an up export before changing anything', async () => {
    const bad = writeMigrations(path.join(t.root, 'migrations'), { '4.2.0/001-empty.mjs': 'export const nothing = 1;\n' });
    const err = await runner([...migrations, ...bad])
      .up('main')
      .catch((e) => e);
    expect(err).toMatchObject({ code: 'MIGRATION_INVALID', exitCode: 2 });
    expect(err.message).toContain('4.2.0/001-empty.mjs');
    expect(await tableNames(knex, dialect)).toEqual([...ours]);
    const noUp = writeMigrations(path.join(t.root, 'migrations'), { '4.2.0/002-no-up.sql': 'CREATE TABLE x (id INTEGER);\n' });
    await expect(runner([...migrations, ...noUp]).up('main')).rejects.toMatchObject({ code: 'SQL_MIGRATION_INVALID', exitCode: 2 });
    expect(await tableNames(knex, dialect)).toEqual([...ours]);
  });

  it('refuses to revert a migration without a down step, reverting nothing', async () => {
    const oneWay = writeMigrations(path.join(t.root, 'migrations'), {
      '4.2.0/001-one-way.sql': '-- up\nCREATE TABLE one_way (id INTEGER);\n',
    });
    const r = runner([...migrations, ...oneWay]);
    await r.up('pre');
    await r.up('main');
    const before = await snapshot(knex, dialect);
    const err = await r.down([...MAIN, '4.2.0/001-one-way.sql']).catch((e) => e);
    expect(err).toMatchObject({ code: 'MIGRATION_IRREVERSIBLE', exitCode: 1 });
    expect(err.message).toContain('4.2.0/001-one-way.sql');
    expect(await snapshot(knex, dialect)).toEqual(before);
  });
});
