/**
 * What this version needs from the schema, and what the installer recorded:
 * /health answers 200 only when the DB is reachable and every table and
 * column this version uses exists.
 */
import semver from 'semver';
import { features, atLeast } from './version.mjs';

export function requiredSchema() {
  const tables = {
    items: ['id', features.titleColumn, 'created_at'],
    jobs: ['id', 'kind', 'state'],
    settings: ['key', 'value'],
    agents: ['id', 'address', 'version', 'state', 'updated_at'],
  };
  if (features.heartbeatTable) tables.worker_heartbeats = ['worker_id', 'beat_at'];
  if (features.tags) Object.assign(tables, { tags: ['id', 'name'], item_tags: ['item_id', 'tag_id'] });
  if (features.slug) tables.items.push('slug');
  return tables;
}

/** null when the schema is usable, otherwise the reason it is not */
export async function schemaProblem(knex) {
  for (const [table, columns] of Object.entries(requiredSchema())) {
    if (!(await knex.schema.hasTable(table))) return `table ${table} is missing`;
    for (const column of columns) {
      if (!(await knex.schema.hasColumn(table, column))) return `column ${table}.${column} is missing`;
    }
  }
  if (atLeast('4.2.0') && (await knex.schema.hasColumn('items', 'name'))) return 'column items.name still exists (4.2.0 renamed it to title)';
  return null;
}

/** the newest migration recorded by the installer ("<version>/<file>"), or null */
export async function latestMigration(knex) {
  let rows;
  try {
    rows = await knex('uphop_migrations').select('name');
  } catch {
    return null; // not installed by uphop (or nothing migrated yet)
  }
  const key = (name) => {
    const [version, file] = String(name).split('/');
    return { version: semver.valid(version) ?? '0.0.0', file: file ?? '' };
  };
  const names = rows
    .map((r) => r.name)
    .sort((a, b) => {
      const ka = key(a),
        kb = key(b);
      return semver.compare(ka.version, kb.version) || (ka.file < kb.file ? -1 : ka.file > kb.file ? 1 : 0);
    });
  return names.at(-1) ?? null;
}
