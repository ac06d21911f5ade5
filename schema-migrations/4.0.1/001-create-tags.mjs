// Beacon 4.0.1: items can be tagged (tags here, the link table in 002-create-item-tags.sql).
export async function up({ context: knex }) {
  await knex.schema.createTable('tags', (t) => {
    t.increments('id');
    t.string('name', 100).notNullable().unique('tags_name_unique');
    t.timestamp('created_at').notNullable().defaultTo(knex.fn.now());
  });
}

export async function down({ context: knex }) {
  await knex.schema.dropTableIfExists('tags');
}
