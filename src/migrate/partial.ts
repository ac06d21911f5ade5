/**
 * MariaDB commits DDL at once, so a migration that fails halfway can leave its
 * first statements behind. The runner compares the schema before and after the
 * failed attempt and, only when it changed, runs that migration's own `down` to
 * undo the part that ran (a down must therefore tolerate a partial up: guard with
 * hasColumn/hasTable). A failure before any change runs no down, so nothing that
 * existed before can be dropped by it.
 */
import type { Knex } from 'knex';

export async function schemaFingerprint(knex: Knex): Promise<string> {
  const [cols] = await knex.raw('select table_name t, column_name c, column_type y, is_nullable n from information_schema.columns where table_schema = database() order by 1, 2');
  const [idx] = await knex.raw('select table_name t, index_name i, column_name c, seq_in_index s from information_schema.statistics where table_schema = database() order by 1, 2, 4');
  return JSON.stringify([cols, idx]);
}
