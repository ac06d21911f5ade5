/**
 * MariaDB commits DDL at once: an installer killed after a migration's DDL but
 * before its record leaves residue. The child runs the real runner and SIGKILLs
 * itself inside the up (after its DDL, or before it); then a new run must resume
 * cleanly and an undo must leave the schema as before the migration.
 */
import path from 'node:path';
import type { Knex } from 'knex';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MigrationRunner } from '../../src/migrate/runner.js';
import type { MigrationFile } from '../../src/migrate/types.js';
import { serviceAvailable } from '../helpers/services.js';
import { BASE, PRE } from './fixtures.js';
import { createTestDb, snapshot, tableNames, usePhaseChild, writeMigrations, type TestDb } from './helpers.js';

const available = await serviceAvailable('mysql');
const NAME = '4.3.0/001-add-labels.mjs';

/** two DDL statements; the child kills itself where UPHOP_TEST_KILL says; the down tolerates a partial up */
const killable = {
  [NAME]: `
const killAt = (where) => { if (process.env.UPHOP_TEST_KILL === where) process.kill(process.pid, 'SIGKILL'); };
export async function up({ context }) {
  killAt('before-ddl');
  await context.schema.alterTable('tags', (t) => { t.string('slug', 40); });
  await context.schema.createTable('labels', (t) => { t.increments('id'); t.string('text', 40); });
  killAt('after-ddl');
}
export async function down({ context }) {
  await context('tags').insert({ label: 'down ran' });
  if (await context.schema.hasTable('labels')) await context.schema.dropTable('labels');
  if (await context.schema.hasColumn('tags', 'slug')) await context.schema.alterTable('tags', (t) => { t.dropColumn('slug'); });
}
`,
};

const runPhase = usePhaseChild();

describe('a MariaDB migration killed between its DDL and its record', () => {
  let t: TestDb;
  let knex: Knex;
  let migrations: MigrationFile[];
  const runner = () => new MigrationRunner({ knex, migrations });

  beforeEach(async (ctx) => {
    if (!available) ctx.skip();
    t = await createTestDb('mysql');
    knex = t.open();
    const dir = path.join(t.root, 'migrations');
    migrations = [...writeMigrations(dir, { [PRE[0]]: BASE[PRE[0] as keyof typeof BASE] }), ...writeMigrations(dir, killable)];
    expect(await runner().up('pre')).toEqual(PRE);
  });
  afterEach(async () => {
    await t?.drop();
  });

  /** runs the main phase in a child that SIGKILLs itself at `where` */
  async function killedInstall(where: 'before-ddl' | 'after-ddl') {
    const { exited, stderr } = runPhase({ db: t.db, root: t.root, migrations, phase: 'main' }, { ...process.env, UPHOP_TEST_KILL: where });
    expect(await exited, stderr()).toBe('SIGKILL');
    expect((await runner().executed()).map((a) => a.name)).toEqual(PRE);
  }

  const labels = async () => (await knex('tags').select('label')).map((r) => r.label).sort();

  it('resumes: the next run undoes the residue and applies the migration once', async () => {
    await killedInstall('after-ddl');
    expect(await tableNames(knex, 'mysql')).toContain('labels');
    const r = runner();
    expect(await r.up('main')).toEqual([NAME]);
    expect((await r.executed()).map((a) => a.name)).toEqual([...PRE, NAME]);
    expect(Object.keys(await knex('tags').columnInfo()).sort()).toEqual(['id', 'label', 'slug']);
    expect(await tableNames(knex, 'mysql')).toContain('labels');
    expect(await knex('uphop_migrations_inflight').select('name')).toEqual([]);
  });

  it('rolls back: the undo leaves the schema as before the migration, then goes on undoing', async () => {
    const before = await snapshot(knex, 'mysql');
    await killedInstall('after-ddl');
    expect(await runner().down([NAME])).toEqual([]);
    expect(await snapshot(knex, 'mysql')).toEqual(before);
    expect(await runner().down(PRE)).toEqual(PRE);
    expect(await tableNames(knex, 'mysql')).toEqual(['uphop_migrations', 'uphop_migrations_inflight']);
  });

  it('runs no down when the kill came before any DDL, and still resumes', async () => {
    const before = await snapshot(knex, 'mysql');
    await killedInstall('before-ddl');
    expect(await runner().down([NAME])).toEqual([]);
    expect(await snapshot(knex, 'mysql')).toEqual(before);
    expect(await labels()).toEqual(['blue', 'red']);
    expect(await runner().up('main')).toEqual([NAME]);
    expect(await labels()).toEqual(['blue', 'red']);
  });
});
