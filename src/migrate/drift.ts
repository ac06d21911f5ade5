/**
 * Drift: an applied migration whose file no longer has the checksum recorded when
 * it ran. Only migrations shipped in this bundle can be checked; applied ones
 * from older bundles are expected to be absent and are only reported.
 */
import { refusal } from '../errors.js';
import type { AppliedMigration, MigrationFile } from './types.js';

export interface DriftReport {
  /** applied migrations of this bundle whose file matches its record */
  verified: string[];
  /** applied migrations this bundle does not ship (older hops): nothing to compare */
  notInBundle: string[];
}

export async function findDrift(applied: AppliedMigration[], migrations: MigrationFile[], checksum: (m: MigrationFile) => Promise<string>): Promise<DriftReport> {
  const byName = new Map(migrations.map((m) => [m.name, m]));
  const report: DriftReport = { verified: [], notInBundle: [] };
  const drifted: Array<{ m: MigrationFile; recorded: string; actual: string }> = [];
  for (const a of applied) {
    const m = byName.get(a.name);
    if (!m) {
      report.notInBundle.push(a.name);
      continue;
    }
    const actual = await checksum(m);
    if (actual === a.checksum) report.verified.push(a.name);
    else drifted.push({ m, recorded: a.checksum, actual });
  }
  if (drifted.length) {
    const [first] = drifted;
    const more = drifted.length > 1 ? ` (and ${drifted.length - 1} more)` : '';
    throw refusal(
      'MIGRATION_DRIFT',
      `Migration ${first.m.name} changed after it was applied: ${first.m.file} no longer matches the checksum recorded in uphop_migrations${more}.`,
      'use the bundle built from the original migration files; never edit an applied migration, add a new one instead',
      {
        problems: drifted.map((d) => ({ file: d.m.file, message: `${d.m.name} changed after it was applied`, hint: 'restore the original file' })),
        detail: drifted.map((d) => `${d.m.name}: recorded sha256 ${d.recorded}, file has ${d.actual}`).join('\n'),
      },
    );
  }
  return report;
}
