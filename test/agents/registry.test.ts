/**
 * The fleet in the manager's DB on each supported database: read in id order
 * (the order waves are planned in), outcomes written back, and a missing table
 * as one sentence. Real SQLite, PostgreSQL and MariaDB.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAgents, OutcomeWriter } from '../../src/agents/registry.js';
import { MYSQL, PG, serviceAvailable } from '../helpers/services.js';

const TABLE = `agents_t_${Math.random().toString(36).slice(2, 8)}`;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'uphop-registry-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const kinds: [string, () => Promise<boolean>, () => Knex][] = [
  ['sqlite', async () => true, () => knexFactory({ client: 'better-sqlite3', connection: { filename: path.join(dir, 'm.db') }, useNullAsDefault: true })],
  ['pg', () => serviceAvailable('pg'), () => knexFactory({ client: 'pg', connection: PG })],
  ['mysql', () => serviceAvailable('mysql'), () => knexFactory({ client: 'mysql2', connection: MYSQL })],
];

for (const [kind, available, open] of kinds) {
  describe.skipIf(!(await available()))(`the agents table on ${kind}`, () => {
    let knex: Knex;
    beforeAll(async () => {
      knex = open();
      // the product's own schema (schema-migrations/3.4.2/001-create-core-tables.mjs)
      await knex.schema.createTable(TABLE, (t) => {
        t.string('id', 190).primary();
        t.string('address', 255).notNullable();
        t.string('version', 50);
        t.string('state', 20).notNullable().defaultTo('unknown');
        t.timestamp('updated_at').notNullable().defaultTo(knex.fn.now());
      });
      // one row each: a multi-row insert would write an explicit NULL for the state default on SQLite
      await knex(TABLE).insert({ id: 'b', address: 'http://10.0.0.2:7070', version: '4.1.1', state: 'ok' });
      await knex(TABLE).insert({ id: 'a', address: 'amqp:a' });
    });
    afterAll(async () => {
      await knex?.schema.dropTableIfExists(TABLE);
      await knex?.destroy();
    });

    it('lists the fleet in id order, a missing version as null', async () => {
      expect(await listAgents(knex, TABLE)).toEqual([
        { id: 'a', address: 'amqp:a', version: null, state: 'unknown' },
        { id: 'b', address: 'http://10.0.0.2:7070', version: '4.1.1', state: 'ok' },
      ]);
    });

    it('writes outcomes in batches: an upgrade with the reported version, failed and offline as states, skipped ones not at all', async () => {
      const errors: unknown[] = [];
      const w = new OutcomeWriter(knex, TABLE, (e) => errors.push(e), 2, 10_000);
      w.add({ id: 'a', address: 'amqp:a', status: 'upgraded', version: '4.2.0', attempts: 1, ms: 5 });
      w.add({ id: 'b', address: 'http://10.0.0.2:7070', status: 'failed', error: 'x', attempts: 3, ms: 5 });
      await w.flush();
      expect((await listAgents(knex, TABLE)).map((a) => [a.id, a.version, a.state])).toEqual([
        ['a', '4.2.0', 'ok'],
        ['b', '4.1.1', 'failed'],
      ]);
      w.add({ id: 'b', address: 'http://10.0.0.2:7070', status: 'skipped', attempts: 0, ms: 0 });
      await w.flush();
      expect((await listAgents(knex, TABLE))[1].state).toBe('failed');
      w.add({ id: 'b', address: 'http://10.0.0.2:7070', status: 'offline', error: 'y', attempts: 3, ms: 5 });
      await w.flush();
      expect((await listAgents(knex, TABLE))[1]).toMatchObject({ version: '4.1.1', state: 'offline' });
      expect(errors).toEqual([]);
    });

    it('many outcomes at once: every one lands, in a few transactions', async () => {
      const ids = Array.from({ length: 450 }, (_, i) => `m${String(i).padStart(3, '0')}`);
      for (const id of ids) await knex(TABLE).insert({ id, address: `http://h/${id}`, version: '1.0.0', state: 'ok' });
      const w = new OutcomeWriter(
        knex,
        TABLE,
        (e) => {
          throw e;
        },
        200,
        10_000,
      );
      ids.forEach((id, i) => w.add({ id, address: `http://h/${id}`, status: i % 3 ? 'upgraded' : 'failed', version: '2.0.0', attempts: 1, ms: 1 }));
      await w.flush();
      const rows = await knex(TABLE).whereIn('id', ids).orderBy('id');
      expect(rows.map((r) => `${r.version}/${r.state}`)).toEqual(ids.map((_, i) => (i % 3 ? '2.0.0/ok' : '1.0.0/failed')));
      await knex(TABLE).whereIn('id', ids).del();
    });

    it('reads the optional group column when the table has one', async () => {
      await knex.schema.alterTable(TABLE, (t) => t.string('group', 50));
      await knex(TABLE).where({ id: 'a' }).update({ group: 'eu' });
      expect((await listAgents(knex, TABLE)).map((a) => a.group)).toEqual(['eu', null]);
      await knex.schema.alterTable(TABLE, (t) => t.dropColumn('group'));
      expect((await listAgents(knex, TABLE))[0]).not.toHaveProperty('group');
    });

    it('says which table it could not read', async () => {
      const e = await listAgents(knex, `${TABLE}_missing`).catch((x) => x);
      expect(e).toMatchObject({ code: 'AGENTS_UNREADABLE', exitCode: 1 });
      expect(e.message).toMatch(new RegExp(`^Cannot read the agents from the manager's table "${TABLE}_missing": .*\\.$`));
      expect(e.message).not.toContain('\n');
    });
  });
}
