import type { SpecMigration } from '../spec/types.js';

/** a migration the runner can run: a bundle's ManifestMigration with `file` resolved to an absolute path */
export type MigrationFile = SpecMigration;

/** a row of uphop_migrations */
export interface AppliedMigration {
  name: string;
  version: string;
  checksum: string;
  phase: string;
  /** ISO-8601 UTC */
  appliedAt: string;
}
