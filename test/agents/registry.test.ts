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
import { listAgents, recordOutcome } from '../../src/agents/registry.js';
import { MYSQL, PG, serviceAvailable } from '../helpers/services.js';

const TABLE = `agents_t_${Math.random().toString(36).slice(2, 8)}`;
let dir: string;
beforeAll(async () => { dir = await mkdtemp(path.join(tmpdir(), 'uphop-registry-')); });
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

    it('records an upgrade with the reported version, a failure as state failed, and skips skipped ones', async () => {
      await recordOutcome(knex, TABLE, { id: 'a', address: 'amqp:a', status: 'upgraded', version: '4.2.0', attempts: 1, ms: 5 });
      await recordOutcome(knex, TABLE, { id: 'b', address: 'http://10.0.0.2:7070', status: 'failed', error: 'x', attempts: 3, ms: 5 });
      expect((await listAgents(knex, TABLE)).map((a) => [a.id, a.version, a.state])).toEqual([['a', '4.2.0', 'ok'], ['b', '4.1.1', 'failed']]);
      await recordOutcome(knex, TABLE, { id: 'b', address: 'http://10.0.0.2:7070', status: 'skipped', attempts: 0, ms: 0 });
      expect((await listAgents(knex, TABLE))[1].state).toBe('failed');
    });

    it('says which table it could not read', async () => {
      const e = await listAgents(knex, `${TABLE}_missing`).catch((x) => x);
      expect(e).toMatchObject({ code: 'AGENTS_UNREADABLE', exitCode: 1 });
      expect(e.message).toMatch(new RegExp(`^Cannot read the agents from the manager's table "${TABLE}_missing": .*\\.$`));
      expect(e.message).not.toContain('\n');
    });
  });
}
