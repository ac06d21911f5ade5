/** Package drivers: tarball, deb, rpm; extract mode into the releases layout, or the host's dpkg/rpm. */
import type { PackageType } from '../../bundle/manifest.js';
import { usageError } from '../../errors.js';
import { extractDeb } from './deb.js';
import { releaseStore } from './releases.js';
import { extractRpm } from './rpm.js';
import { systemPackages } from './system.js';
import { dpkgTool, rpmTool } from './system-tools.js';
import { extractTarball } from './tarball.js';
import type { Extractor, PackageDriver, PackageDriverOptions } from './types.js';

export type { Activation, ComponentPackage, ComponentRef, PackageDriver, PackageDriverOptions } from './types.js';

const EXTRACTORS: Record<PackageType, Extractor> = { tarball: extractTarball, deb: extractDeb, rpm: extractRpm };

export function createPackageDriver(type: PackageType, opts: PackageDriverOptions): PackageDriver {
  if (!(type in EXTRACTORS)) throw usageError('UNKNOWN_PACKAGE_TYPE', `There is no package driver for type "${String(type)}".`, 'Use tarball, deb or rpm.');
  const mode = opts.mode ?? (opts.root === '/' ? 'system' : 'extract');
  if (type !== 'tarball' && mode === 'system') return systemPackages(opts.root, type === 'deb' ? dpkgTool : rpmTool, opts.emit);
  return releaseStore(opts.root, EXTRACTORS[type], opts.emit);
}
