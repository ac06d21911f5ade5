import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Knex } from 'knex';
import { MigrationRunner } from '../../src/migrate/runner.js';
import { serviceAvailable } from '../helpers/services.js';
import { createTestDb, writeMigrations, DIALECTS, type TestDb } from './helpers.js';

const available = { sqlite: true, pg: await serviceAvailable('pg'), mysql: await serviceAvailable('mysql') };
const ROWS = 3000;

// a column added and filled from JS in chunks by id range: what a real backfill looks like
const MIGRATIONS = {
  '4.0.1/001-create-agents.pre.mjs': `
export async function up({ context }) {
  await context.schema.createTable('agents', (t) => { t.increments('id'); t.string('hostname', 100).notNullable(); });
}
export async function down({ context }) { await context.schema.dropTable('agents'); }
`,
  '4.1.1/001-agent-host-key.mjs': `
export async function up({ context }) {
  await context.schema.alterTable('agents', (t) => { t.string('host_key', 120); });
  const CHUNK = 500;
  for (let from = 0; ; from += CHUNK) {
    const rows = await context('agents').select('id', 'hostname').where('id', '>', from).andWhere('id', '<=', from + CHUNK);
    const { max } = await context('agents').max({ max: 'id' }).first();
    for (const r of rows) await context('agents').where({ id: r.id }).update({ host_key: r.hostname.toLowerCase().split('.').reverse().join('.') });
    if (from + CHUNK >= Number(max)) break;
  }
}
export async function down({ context }) { await context.schema.alterTable('agents', (t) => { t.dropColumn('host_key'); }); }
`,
};

describe.each(DIALECTS)('data backfill on %s', (dialect) => {
  let t: TestDb;
  let knex: Knex;
  beforeEach(async (ctx) => {
    if (!available[dialect]) ctx.skip();
    t = await createTestDb(dialect);
    knex = t.open();
  });
  afterEach(async () => {
    await t?.drop();
  });

  it(`fills a new column for ${ROWS} rows in the main phase and reverts it`, async () => {
    const migrations = writeMigrations(path.join(t.root, 'migrations'), MIGRATIONS);
    const runner = new MigrationRunner({ knex, migrations });
    await runner.up('pre');
    const hosts = Array.from({ length: ROWS }, (_, i) => ({ hostname: `Node-${i}.Site-${i % 7}.Example.COM` }));
    await knex.batchInsert('agents', hosts, 500);

    expect(await runner.up('main')).toEqual(['4.1.1/001-agent-host-key.mjs']);
    const rows: Array<{ hostname: string; host_key: string | null }> = await knex('agents').select('hostname', 'host_key').orderBy('id');
    expect(rows).toHaveLength(ROWS);
    expect(rows.filter((r) => r.host_key === null)).toEqual([]);
    expect(rows[1234]).toEqual({ hostname: 'Node-1234.Site-2.Example.COM', host_key: 'com.example.site-2.node-1234' });
    expect(rows.every((r) => r.host_key === r.hostname.toLowerCase().split('.').reverse().join('.'))).toBe(true);

    await runner.down(['4.1.1/001-agent-host-key.mjs']);
    expect(Object.keys(await knex('agents').columnInfo()).sort()).toEqual(['hostname', 'id']);
    expect(await knex('agents').count({ n: '*' }).first()).toEqual({ n: dialect === 'pg' ? String(ROWS) : ROWS });
  });
});
