/**
 * The Umzug instance one runner call drives: each step emits begin/end/fail/down
 * and fills RunState (outcome.ts); records go to uphop_migrations in the context
 * the step ran in (storage.ts).
 */
import type { Knex } from 'knex';
import { Umzug } from 'umzug';
import type { LoadedMigration } from './load.js';
import type { RunState } from './outcome.js';
import { migrationStorage, type MigrationRecord } from './storage.js';
import type { MigrationFile } from './types.js';

export type MigrationStatus = 'begin' | 'end' | 'fail' | 'down';

export interface UmzugParts {
  loaded: Map<string, LoadedMigration>;
  state: RunState;
  event(m: MigrationFile, status: MigrationStatus, ms: number): void;
  record(name: string): MigrationRecord;
}

export function migrationUmzug(ctx: Knex, list: MigrationFile[], { loaded, state, event, record }: UmzugParts): Umzug<Knex> {
  const step =
    (m: MigrationFile, dir: 'up' | 'down') =>
    async ({ context }: { context: Knex }) => {
      const fn =
        loaded.get(m.name)?.[dir] ??
        (() => {
          throw new Error(`${m.name} has no ${dir} step`);
        });
      const t0 = Date.now();
      if (dir === 'up') event(m, 'begin', 0);
      try {
        await fn(context);
      } catch (e) {
        state.failed = { name: m.name, error: e };
        event(m, 'fail', Date.now() - t0);
        throw e;
      }
      event(m, dir === 'up' ? 'end' : 'down', Date.now() - t0);
      if (dir === 'up') state.applied.push(m);
    };
  return new Umzug<Knex>({
    migrations: list.map((m) => ({ name: m.name, path: m.file, up: step(m, 'up'), down: step(m, 'down') })),
    // a knex is itself a function, and Umzug calls a function context to get the context
    context: () => ctx,
    storage: migrationStorage(record),
    logger: undefined,
  });
}
