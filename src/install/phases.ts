/**
 * The phase a migration really runs in during this hop. `pre` means "compatible
 * with the code still serving" and `post` "needs the new code running": true of
 * the hop's first and last version only. A fresh install has nothing serving, and
 * a hop over several versions must apply an intermediate version's migrations in
 * order between stop and start (a later `pre` may need an earlier version's schema).
 */
import type { Manifest, ManifestMigration, MigrationPhase } from '../bundle/manifest.js';
import semver from 'semver';

export function effectivePhase(m: ManifestMigration, manifest: Pick<Manifest, 'from' | 'migrations'>): MigrationPhase {
  if (manifest.from === 'none') return 'main';
  const versions = [...new Set(manifest.migrations.map((x) => x.version))].sort(semver.compare);
  if (m.phase === 'pre' && m.version !== versions[0]) return 'main';
  if (m.phase === 'post' && m.version !== versions.at(-1)) return 'main';
  return m.phase;
}

/** the bundle's migrations with the phase they run in, in bundle order */
export const hopMigrations = (manifest: Pick<Manifest, 'from' | 'migrations'>): ManifestMigration[] => manifest.migrations.map((m) => ({ ...m, phase: effectivePhase(m, manifest) }));
