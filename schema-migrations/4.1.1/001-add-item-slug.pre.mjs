// Beacon 4.1.1, pre phase (runs while 4.0.1 still serves): add items.slug, nullable so the
// old code's inserts keep working, and backfill it from the names already there.
const slugify = (text) =>
  String(text).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 200) || 'item';

async function backfillSlugs(knex) {
  const rows = await knex('items').whereNull('slug').select('id', 'name');
  for (const row of rows) {
    await knex('items').where({ id: row.id }).update({ slug: slugify(row.name) });
  }
}

export async function up({ context: knex }) {
  await knex.schema.alterTable('items', (t) => {
    t.string('slug', 200).nullable();
  });
  await backfillSlugs(knex);
}

export async function down({ context: knex }) {
  await knex.schema.alterTable('items', (t) => {
    t.dropColumn('slug');
  });
}
