/**
 * Agent home layout: <home>/releases/<version>/ unpacked packages, <home>/current ->
 * releases/<version> swapped atomically (symlink + rename).
 */
import { mkdir, readFile, readlink, rename, rm, stat, symlink } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import * as tar from 'tar';
import semver from 'semver';
import { UpgradeRefused } from './fetch-package.mjs';

export const AGENT_MAIN = 'agent.js';
const AGENT_PACKAGE = 'beacon-agent';

/** unpacks into a staging folder, refusing links and paths that escape it */
async function unpack(file, dir) {
  const refused = [];
  await mkdir(dir, { recursive: true });
  try {
    await tar.x({
      file,
      cwd: dir,
      strict: true,
      preservePaths: false,
      noChmod: false,
      filter: (p, entry) => {
        const ok = (entry.type === 'File' || entry.type === 'Directory') && !p.split('/').includes('..');
        if (!ok) refused.push(p);
        return ok;
      },
    });
  } catch (err) {
    throw new UpgradeRefused('BAD_PACKAGE', `the package is not a valid tar.gz: ${err.message}`);
  }
  if (refused.length) throw new UpgradeRefused('BAD_PACKAGE', `the package holds links or unsafe paths: ${refused.slice(0, 3).join(', ')}`);
}

async function packageVersion(dir) {
  let pkg;
  try {
    pkg = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8'));
  } catch {
    throw new UpgradeRefused('BAD_PACKAGE', 'the package has no readable package.json at its top level');
  }
  if (pkg.name !== AGENT_PACKAGE) throw new UpgradeRefused('BAD_PACKAGE', `the package is ${pkg.name}, not ${AGENT_PACKAGE}`);
  if (!semver.valid(pkg.version)) throw new UpgradeRefused('BAD_PACKAGE', `the package version ${pkg.version} is not semver`);
  await stat(path.join(dir, AGENT_MAIN)).catch(() => {
    throw new UpgradeRefused('BAD_PACKAGE', `the package has no ${AGENT_MAIN}`);
  });
  return pkg.version;
}

/** the version `current` points at, or null */
export async function currentVersion(home) {
  const target = await readlink(path.join(home, 'current')).catch(() => null);
  return target ? path.basename(target) : null;
}

/** unpacks the verified package as releases/<version> and points current at it; returns the version */
export async function installRelease(home, packageFile) {
  const releases = path.join(home, 'releases');
  const tag = randomBytes(6).toString('hex');
  const staging = path.join(releases, `.staging-${tag}`);
  try {
    await unpack(packageFile, staging);
    const version = await packageVersion(staging);
    const dest = path.join(releases, version);
    // never replace the files of the running release under it
    if ((await currentVersion(home)) !== version) {
      await rm(dest, { recursive: true, force: true });
      await rename(staging, dest);
    }
    const link = path.join(home, `.current-${tag}`);
    await symlink(path.join('releases', version), link);
    await rename(link, path.join(home, 'current'));
    return version;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
