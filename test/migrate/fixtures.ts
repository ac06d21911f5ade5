/** Fixture migrations in every supported form: .mjs, .cjs, .sql, in the three phases. */

export const BASE = {
  '4.0.1/001-create-tags.pre.mjs': `
export async function up({ context }) {
  await context.schema.createTable('tags', (t) => { t.increments('id'); t.string('label', 100).notNullable(); });
  await context('tags').insert([{ label: 'red' }, { label: 'blue' }]);
}
export async function down({ context }) { await context.schema.dropTable('tags'); }
`,
  // a ';' and a '?' inside a literal: the section must run as a script, not split or bound
  '4.0.1/002-create-notes.sql': `-- notes kept per tag
-- up
CREATE TABLE notes (id INTEGER PRIMARY KEY, body VARCHAR(200));
CREATE INDEX notes_body ON notes (body);
INSERT INTO notes (id, body) VALUES (1, 'why?; because');
-- down
DROP TABLE notes;
`,
  '4.0.1/003-add-color.cjs': `
exports.up = async ({ context }) => {
  await context.schema.alterTable('tags', (t) => { t.string('color', 20); });
};
exports.down = async ({ context }) => {
  await context.schema.alterTable('tags', (t) => { t.dropColumn('color'); });
};
`,
  // .js without a package.json around it is CommonJS to node; a default export object
  '4.1.1/001-create-audit.post.js': `
module.exports = {
  async up({ context }) { await context.schema.createTable('audit_log', (t) => { t.increments('id'); t.string('event', 50); }); },
  async down({ context }) { await context.schema.dropTable('audit_log'); },
};
`,
};

export const PRE = ['4.0.1/001-create-tags.pre.mjs'];
export const MAIN = ['4.0.1/002-create-notes.sql', '4.0.1/003-add-color.cjs'];
export const POST = ['4.1.1/001-create-audit.post.js'];

/** main phase: the first migration succeeds (table + rows), the second writes and then throws */
export function failingMain(transactionalDdl: boolean) {
  return {
    '4.2.0/001-create-widgets.mjs': `
export async function up({ context }) {
  await context.schema.createTable('widgets', (t) => { t.increments('id'); t.string('name', 50); });
  await context('widgets').insert([{ name: 'a' }, { name: 'b' }]);
}
export async function down({ context }) { await context.schema.dropTable('widgets'); }
`,
    '4.2.0/002-half-done.mjs': `
export async function up({ context }) {
  await context('tags').insert({ label: 'half' });
  await context('widgets').update({ name: 'changed' });
  ${transactionalDdl ? "await context.schema.createTable('gadgets', (t) => { t.increments('id'); });" : ''}
  throw new Error('boom halfway');
}
export async function down() {}
`,
  };
}

/** main phase: the second migration is SQL the database rejects */
export const FAILING_SQL = {
  '4.2.0/001-create-widgets.sql': `-- up
CREATE TABLE widgets (id INTEGER PRIMARY KEY, name VARCHAR(50));
INSERT INTO widgets (id, name) VALUES (1, 'a');
-- down
DROP TABLE widgets;
`,
  '4.2.0/002-bad.sql': `-- up
UPDATE no_such_table SET x = 1;
-- down
`,
};
