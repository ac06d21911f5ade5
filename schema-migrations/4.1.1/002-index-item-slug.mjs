// Beacon 4.1.1, main phase (services stopped): backfill the rows 4.0.1 inserted after the
// pre phase, then index slug (items are looked up by slug from 4.1.1 on).
const slugify = (text) =>
  String(text).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 200) || 'item';

export async function up({ context: knex }) {
  const rows = await knex('items').whereNull('slug').select('id', 'name');
  for (const row of rows) {
    await knex('items').where({ id: row.id }).update({ slug: slugify(row.name) });
  }
  await knex.schema.alterTable('items', (t) => {
    t.index(['slug'], 'items_slug_idx');
  });
}

export async function down({ context: knex }) {
  await knex.schema.alterTable('items', (t) => {
    t.dropIndex(['slug'], 'items_slug_idx');
  });
}
