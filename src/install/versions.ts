/**
 * May this bundle go onto this manager? Decided from state.json and the manifest
 * alone, before anything changes; a bundle already installed is a no-op.
 */
import semver from 'semver';
import { refusal } from '../errors.js';
import type { Manifest } from '../bundle/manifest.js';
import type { InstalledState } from './state.js';

export type VersionVerdict = { action: 'install' } | { action: 'nothing-to-do'; reason: string };

export function checkVersions(m: Manifest, prev: InstalledState | undefined, rootHint: string): VersionVerdict {
  if (prev && prev.product !== m.product) {
    throw refusal('PRODUCT_MISMATCH', `This manager runs ${prev.product}, the bundle is for ${m.product}.`, 'Use a bundle of the installed product.');
  }
  if (prev?.version === m.to) return { action: 'nothing-to-do', reason: `${m.product} ${m.to} is already installed` };
  if (prev && semver.valid(prev.version) && semver.gt(prev.version, m.to)) {
    throw refusal('DOWNGRADE', `The bundle would downgrade ${m.product} from ${prev.version} to ${m.to}.`, 'uphop never downgrades; use uphop rollback right after a hop, or restore a backup.');
  }
  if (m.from === 'none') {
    if (prev)
      throw refusal(
        'ALREADY_INSTALLED',
        `${m.product} ${prev.version} is already installed; this bundle is a fresh install of ${m.to}.`,
        `Use the upgrade bundles from ${prev.version} (uphop plan --from ${prev.version} --to ${m.to}).`,
      );
    return { action: 'install' };
  }
  if (!prev) {
    throw refusal(
      'NOT_INSTALLED',
      `Nothing is installed under ${rootHint}; this bundle upgrades ${m.product} from ${m.from}.`,
      `Install ${m.product} first with its fresh-install bundle, or pass the right --root.`,
    );
  }
  const accepts = semver.valid(m.from) ? prev.version === m.from : semver.satisfies(prev.version, m.from);
  if (!accepts) {
    throw refusal(
      'VERSION_MISMATCH',
      `This bundle upgrades ${m.product} from ${m.from}, but ${prev.version} is installed.`,
      `Find the right chain with: uphop plan --from ${prev.version} --to ${m.to}`,
    );
  }
  return { action: 'install' };
}
