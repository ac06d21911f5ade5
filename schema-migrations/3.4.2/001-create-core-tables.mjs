// Beacon 3.4.2 (fresh install): the core tables. Portable across SQLite, PostgreSQL, MariaDB.
export async function up({ context: knex }) {
  await knex.schema.createTable('items', (t) => {
    t.increments('id');
    t.string('name', 200).notNullable();
    t.timestamp('created_at').notNullable().defaultTo(knex.fn.now());
  });
  await knex.schema.createTable('jobs', (t) => {
    t.increments('id');
    t.string('kind', 100).notNullable();
    t.text('payload');
    t.string('state', 20).notNullable().defaultTo('pending');
    t.text('result');
    t.timestamp('created_at').notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at').notNullable().defaultTo(knex.fn.now());
    t.index(['state', 'id'], 'jobs_state_idx');
  });
  await knex.schema.createTable('settings', (t) => {
    t.string('key', 190).primary();
    t.text('value');
    t.timestamp('updated_at').notNullable().defaultTo(knex.fn.now());
  });
  await knex.schema.createTable('agents', (t) => {
    t.string('id', 190).primary();
    t.string('address', 255).notNullable();
    t.string('version', 50);
    t.string('state', 20).notNullable().defaultTo('unknown');
    t.timestamp('updated_at').notNullable().defaultTo(knex.fn.now());
  });
  // the worker's liveness until 4.2.0, which moves it to settings and drops this table
  await knex.schema.createTable('worker_heartbeats', (t) => {
    t.string('worker_id', 190).primary();
    t.timestamp('beat_at').notNullable().defaultTo(knex.fn.now());
  });
}

export async function down({ context: knex }) {
  for (const table of ['worker_heartbeats', 'agents', 'settings', 'jobs', 'items']) {
    await knex.schema.dropTableIfExists(table);
  }
}
