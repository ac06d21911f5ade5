// Beacon 4.2.0, main phase: items.name becomes items.title (4.1.1 code, which reads
// name, is stopped by now).
export async function up({ context: knex }) {
  await knex.schema.alterTable('items', (t) => {
    t.renameColumn('name', 'title');
  });
}

export async function down({ context: knex }) {
  await knex.schema.alterTable('items', (t) => {
    t.renameColumn('title', 'name');
  });
}
