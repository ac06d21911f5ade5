/**
 * Applies the reference product's schema-migrations/ with knex directly (the tests of
 * the product must not depend on the installer): version by version, phases pre ->
 * main -> post; down in exact reverse. Applied names go to a minimal uphop_migrations.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import semver from 'semver';
import type { Knex } from 'knex';

export const MIGRATIONS_DIR = path.resolve(import.meta.dirname, '../../../schema-migrations');
const PHASES = ['pre', 'main', 'post'] as const;

export interface ProductMigration {
  version: string;
  file: string;
  name: string;
  phase: (typeof PHASES)[number];
}

export function migrationsOf(version: string): ProductMigration[] {
  return readdirSync(path.join(MIGRATIONS_DIR, version))
    .sort()
    .map((file): ProductMigration => {
      const phase = /\.pre\.\w+$/.test(file) ? 'pre' : /\.post\.\w+$/.test(file) ? 'post' : 'main';
      return { version, file: path.join(MIGRATIONS_DIR, version, file), name: `${version}/${file}`, phase };
    })
    .sort((a, b) => PHASES.indexOf(a.phase) - PHASES.indexOf(b.phase));
}

export const versionsUpTo = (to: string) =>
  readdirSync(MIGRATIONS_DIR)
    .filter((v) => semver.valid(v) && semver.lte(v, to))
    .sort(semver.compare);

/** "-- up" / "-- down" sections, statements split at a line ending in ";" */
function sqlStatements(file: string, direction: 'up' | 'down'): string[] {
  const sections: Record<string, string[]> = { up: [], down: [] };
  let current: string | null = null;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '-- up' || line.trim() === '-- down') current = line.trim().slice(3);
    else if (current) sections[current].push(line);
  }
  return sections[direction]
    .join('\n')
    .split(/;\s*$/m)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter(Boolean);
}

async function run(knex: Knex, m: ProductMigration, direction: 'up' | 'down') {
  if (m.file.endsWith('.sql')) {
    for (const sql of sqlStatements(m.file, direction)) await knex.raw(sql);
    return;
  }
  const mod = await import(pathToFileURL(m.file).href);
  await mod[direction]({ context: knex });
}

async function storage(knex: Knex) {
  if (!(await knex.schema.hasTable('uphop_migrations'))) {
    await knex.schema.createTable('uphop_migrations', (t) => {
      t.string('name', 190).primary();
    });
  }
}

export async function migrateUp(knex: Knex, version: string) {
  await storage(knex);
  for (const m of migrationsOf(version)) {
    await run(knex, m, 'up');
    await knex('uphop_migrations').insert({ name: m.name });
  }
}

export async function migrateDown(knex: Knex, version: string) {
  for (const m of migrationsOf(version).reverse()) {
    await run(knex, m, 'down');
    await knex('uphop_migrations').where({ name: m.name }).delete();
  }
}

/** a fresh database brought to `to`, one version at a time */
export async function migrateTo(knex: Knex, to: string) {
  for (const v of versionsUpTo(to)) await migrateUp(knex, v);
}
