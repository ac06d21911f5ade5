/**
 * .deb/.rpm installed by the host's package manager (root "/"). The package manager
 * owns the files, so "staging" only keeps a copy of the package in
 * var/lib/uphop/packages/<product>/<name>/<version>.<ext>: the undo of an upgrade
 * reinstalls the previous version from there.
 */
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import semver from 'semver';
import { failure, usageError } from '../../errors.js';
import { silent, type Emit } from '../../events.js';
import { exists, fsyncDir, randomSuffix } from '../fsutil.js';
import { packageCacheDir, safeSegment, type ComponentRef } from '../layout.js';
import { clearActivation, readActivation, recordActivation } from './activation.js';
import type { SystemTool } from './system-tools.js';
import type { ComponentPackage, PackageDriver } from './types.js';

export function systemPackages(root: string, tool: SystemTool, emit: Emit = silent): PackageDriver {
  const dirOf = (c: ComponentRef) => packageCacheDir(root, c);
  const cached = (c: ComponentRef, version: string) => path.join(dirOf(c), `${safeSegment('version', version)}.${tool.ext}`);

  async function stage(c: ComponentPackage) {
    const dest = cached(c, c.version);
    if (await exists(dest)) return;
    await fs.mkdir(dirOf(c), { recursive: true });
    const tmp = `${dest}.partial-${randomSuffix()}`;
    try {
      await pipeline(createReadStream(c.file), createWriteStream(tmp, { flags: 'wx' }));
      await tool.identify(tmp); // refuse a package the tool cannot read before any change
      await fs.rename(tmp, dest);
    } finally {
      await fs.rm(tmp, { force: true });
    }
    await fsyncDir(dirOf(c));
  }

  /** is the version staged for c the one the package manager has installed? */
  async function isActive(c: ComponentRef, version: string) {
    const file = cached(c, version);
    if (!(await exists(file))) return false;
    const pkg = await tool.identify(file);
    return (await tool.installed(pkg.name)) === pkg.version;
  }

  async function current(c: ComponentRef) {
    const rec = await readActivation(root, c, dirOf(c));
    return rec && (await isActive(c, rec.version)) ? rec.version : undefined;
  }

  async function activate(c: ComponentPackage) {
    const file = cached(c, c.version);
    if (!(await exists(file))) throw failure('PACKAGE_NOT_STAGED', `${c.name} ${c.version} cannot be installed: it is not staged.`, 'Run the stage step first (resume the install).');
    const rec = await readActivation(root, c, dirOf(c));
    const pkg = await tool.identify(file);
    const installed = await tool.installed(pkg.name);
    if (installed === pkg.version) return { previous: rec?.version === c.version ? rec.previous : c.version, changed: false };
    // not installed by uphop before: name the installed package version, so an undo says what is missing
    const previous = installed === undefined ? undefined : rec && (await isActive(c, rec.version)) ? rec.version : installed;
    await recordActivation(root, c, { version: c.version, previous }, dirOf(c));
    await tool.install(file);
    emit({ type: 'log', level: 'info', message: `${pkg.name} ${pkg.version} installed` });
    return { previous, changed: true };
  }

  async function deactivate(c: ComponentPackage, previous?: string) {
    if (await isActive(c, c.version)) {
      if (previous === undefined) {
        await tool.remove((await tool.identify(cached(c, c.version))).name);
      } else {
        const file = cached(c, previous);
        if (!(await exists(file))) {
          throw failure(
            'PACKAGE_RELEASE_MISSING',
            `Cannot reinstall ${c.name} ${previous}: uphop has no copy of that package.`,
            `Install the ${previous} package by hand (${tool.ext === 'deb' ? 'dpkg -i' : 'rpm -U --oldpackage'}).`,
          );
        }
        await tool.install(file);
      }
    }
    await clearActivation(root, c, dirOf(c));
  }

  async function prune(c: ComponentRef, keep: number, protect: string[] = []) {
    if (!Number.isInteger(keep) || keep < 0) throw usageError('BAD_KEEP', `Cannot keep ${keep} packages.`, 'Give a whole number to keep, 0 or more.');
    if (!(await exists(dirOf(c)))) return [];
    const suffix = `.${tool.ext}`;
    const versions = (await fs.readdir(dirOf(c))).filter((n) => n.endsWith(suffix)).map((n) => n.slice(0, -suffix.length));
    const newestFirst = versions.sort((a, b) => (semver.valid(a) && semver.valid(b) ? semver.rcompare(a, b) : b.localeCompare(a)));
    const active = await current(c);
    const doomed = newestFirst.slice(keep).filter((v) => v !== active && !protect.includes(v));
    for (const v of doomed) await fs.rm(cached(c, v), { force: true });
    return doomed;
  }

  return { stage, activate, deactivate, prune, current };
}
