/**
 * The next run after a MariaDB run was killed mid-migration (see inflight.ts):
 * for each marker of a migration that is not recorded, when the schema differs
 * from the one before its up, that migration's own `down` undoes the part that
 * committed (downs tolerate a partial up, docs/hop-spec.md); unchanged schema, or
 * a migration recorded after all, just clears the marker. Then resume re-runs the
 * up on a clean schema and rollback goes on undoing the recorded ones.
 */
import type { Knex } from 'knex';
import { failure, messageOf } from '../errors.js';
import { clearInflight, hashSchema, readInflight } from './inflight.js';
import type { LoadedMigration } from './load.js';
import { schemaFingerprint } from './partial.js';
import { readApplied } from './storage.js';
import type { MigrationFile } from './types.js';

export interface RecoverDeps {
  knex: Knex;
  /** the bundle's migration of that name, if any */
  find(name: string): MigrationFile | undefined;
  load(m: MigrationFile): Promise<LoadedMigration>;
  /** told after a down undid a residue */
  undone(m: MigrationFile): void;
}

const HINT = 'restore the database from the backup taken before the install (uphop rollback does this)';

export async function recoverInflight({ knex, find, load, undone }: RecoverDeps): Promise<void> {
  const markers = await readInflight(knex);
  if (!markers.length) return;
  const applied = new Set((await readApplied(knex)).map((a) => a.name));
  for (const marker of markers) {
    if (!applied.has(marker.name) && hashSchema(await schemaFingerprint(knex)) !== marker.schema_before) {
      const m = find(marker.name);
      const down = m && (await load(m)).down;
      if (!m || !down) {
        const why = m ? 'it has no down step' : 'it is not in this bundle';
        throw failure('MIGRATION_INTERRUPTED', `Migration ${marker.name} was interrupted after MariaDB had committed part of it, and ${why} to undo that part.`, HINT);
      }
      try {
        await down(knex);
      } catch (e) {
        throw failure('MIGRATION_INTERRUPTED', `Undoing the committed part of interrupted migration ${marker.name} failed: ${messageOf(e).trim()}.`, HINT, e);
      }
      undone(m);
    }
    await clearInflight(knex, marker.name);
  }
}
