import { describe, expect, it } from 'vitest';
import { serviceAvailable } from '../helpers/services.js';
import { describeIndexes, describeSchema, freshDb, type Dialect } from './helpers/databases.js';
import { migrateDown, migrateUp, versionsUpTo } from './helpers/migrations.js';

const available: Record<Dialect, boolean> = {
  sqlite: true,
  pg: await serviceAvailable('pg'),
  mysql: await serviceAvailable('mysql'),
};

describe.each(['sqlite', 'pg', 'mysql'] as Dialect[])('schema migrations on %s', (dialect) => {
  it.skipIf(!available[dialect])('each version goes up with its real changes and down to the exact previous schema, keeping data', async () => {
    const fresh = await freshDb(dialect);
    const { knex } = fresh;
    const snapshot = async () => ({ tables: await describeSchema(knex, dialect), indexes: await describeIndexes(knex, dialect) });
    try {
      for (const version of versionsUpTo('4.2.0')) {
        const before = await snapshot();
        await migrateUp(knex, version);
        const after = await snapshot();
        expect(after).not.toEqual(before);
        await migrateDown(knex, version);
        expect(await snapshot()).toEqual(before);
        await migrateUp(knex, version);
        expect(await snapshot()).toEqual(after);

        if (version === '3.4.2') {
          expect(Object.keys(after.tables).sort()).toEqual(['agents', 'items', 'jobs', 'settings', 'worker_heartbeats']);
          expect(after.tables.agents).toEqual(['address', 'id', 'state', 'updated_at', 'version']);
          await knex('items').insert([{ name: 'First Item' }, { name: 'Ünïcode & Co' }]);
        }
        if (version === '4.0.1') expect(after.tables).toMatchObject({ tags: expect.any(Array), item_tags: ['item_id', 'tag_id'] });
        if (version === '4.1.1') {
          // the pre migration backfilled the rows written before it
          expect(await knex('items').orderBy('id').pluck('slug')).toEqual(['first-item', 'n-code-co']);
          expect(after.indexes).toContain('items_slug_idx');
        }
        if (version === '4.2.0') {
          expect(after.tables.items).toEqual(['created_at', 'id', 'slug', 'title']);
          expect(after.tables).not.toHaveProperty('worker_heartbeats');
          expect(await knex('items').orderBy('id').pluck('title')).toEqual(['First Item', 'Ünïcode & Co']);
        }
      }
      // and all the way back down: the rename's down restores the data under its old name
      for (const version of versionsUpTo('4.2.0').reverse()) {
        if (version === '4.1.1') expect(await knex('items').orderBy('id').pluck('name')).toEqual(['First Item', 'Ünïcode & Co']);
        await migrateDown(knex, version);
      }
      expect(await describeSchema(knex, dialect)).toEqual({});
    } finally {
      await fresh.drop();
    }
  });
});
