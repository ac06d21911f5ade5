// Beacon 4.2.0, post phase (after the new services are healthy): the 4.2.0 worker keeps
// its heartbeat in settings, so the table the 4.1.1 worker wrote to can go.
export async function up({ context: knex }) {
  await knex.schema.dropTableIfExists('worker_heartbeats');
}

// heartbeats are transient: recreating the empty table is a full restore
export async function down({ context: knex }) {
  await knex.schema.createTable('worker_heartbeats', (t) => {
    t.string('worker_id', 190).primary();
    t.timestamp('beat_at').notNullable().defaultTo(knex.fn.now());
  });
}
