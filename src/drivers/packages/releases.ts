/**
 * The releases layout shared by every package type in extract mode:
 * opt/<product>/<name>/releases/<version>/ and `current` -> releases/<version>.
 * A release folder exists under its real name only once complete (unpacked into
 * `<version>.partial`, then renamed), so `current` can never point at half a release.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { failure, usageError } from '../../errors.js';
import { silent, type Emit } from '../../events.js';
import { exists, fsyncDir, readLinkOrNull, removeTree, sweepLeftovers, swapSymlink } from '../fsutil.js';
import { currentLink, releaseDir, releasesDir, type ComponentRef } from '../layout.js';
import { clearActivation, readActivation, recordActivation } from './activation.js';
import type { ComponentPackage, Extractor, PackageDriver } from './types.js';

/** "releases/<v>" (or its absolute spelling, as older tools wrote it) -> "<v>"; anything else is not ours */
function versionOf(target: string | null, releases: string): string | undefined {
  if (!target) return undefined;
  if (/^releases\/[^/]+$/.test(target)) return target.slice('releases/'.length);
  return path.isAbsolute(target) && path.dirname(target) === releases ? path.basename(target) : undefined;
}

export function releaseStore(root: string, extract: Extractor, emit: Emit = silent): PackageDriver {
  async function current(c: ComponentRef) {
    const link = currentLink(root, c);
    let target: string | null;
    try {
      target = await readLinkOrNull(link);
    } catch (e) {
      throw failure('PACKAGE_LAYOUT', `${link} exists but is not a symbolic link.`, 'Move it aside: uphop manages `current` as a link to releases/<version>.', e);
    }
    const v = versionOf(target, releasesDir(root, c));
    if (target !== null && v === undefined) {
      throw failure('PACKAGE_LAYOUT', `${link} points to ${target}, not into releases/.`, 'Point it to releases/<version> or remove it.');
    }
    return v;
  }

  /** the sha256 of the package a release was unpacked from, beside it (a same-numbered rebuild is another release) */
  const markerOf = (dir: string) => path.join(path.dirname(dir), `.${path.basename(dir)}.package-sha256`);

  async function stage(c: ComponentPackage) {
    const dir = releaseDir(root, c, c.version);
    if (await exists(dir)) {
      const staged = (await fs.readFile(markerOf(dir), 'utf8').catch(() => '')).trim();
      if (!c.sha256 || staged === c.sha256) return emit({ type: 'log', level: 'info', message: `${c.name} ${c.version} is already staged` });
      if ((await current(c)) === c.version) throw failure('PACKAGE_LAYOUT', `${c.name} ${c.version} is active but was unpacked from another package.`, 'Roll back first, then install again.');
      emit({ type: 'log', level: 'warn', message: `${c.name} ${c.version} was staged from another package; unpacking it again` });
      await removeTree(dir);
    }
    if (!(await exists(c.file))) throw failure('PACKAGE_MISSING', `The package ${c.file} does not exist.`, 'Extract the bundle again and verify it.');
    const partial = `${dir}.partial`;
    await fs.mkdir(path.dirname(dir), { recursive: true });
    await sweepLeftovers(path.dirname(dir), { partials: false });
    await fs.rm(partial, { recursive: true, force: true }); // left by a crash mid-unpack
    await fs.mkdir(partial);
    try {
      await extract(c.file, partial);
    } catch (e) {
      // writes of the refused archive may still be landing: retry, and never let the cleanup hide the reason
      await fs.rm(partial, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 }).catch(() => {});
      throw e;
    }
    await fs.rename(partial, dir);
    if (c.sha256) await fs.writeFile(markerOf(dir), c.sha256 + '\n');
    await fsyncDir(path.dirname(dir));
  }

  async function activate(c: ComponentPackage) {
    if (!(await exists(releaseDir(root, c, c.version)))) {
      throw failure('PACKAGE_NOT_STAGED', `${c.name} ${c.version} cannot be activated: it is not staged.`, 'Run the stage step first (resume the install).');
    }
    const before = await current(c);
    if (before === c.version) {
      // a re-run after a crash: the journal of that first swap knows the real previous
      const rec = await readActivation(root, c);
      return { previous: rec?.version === c.version ? rec.previous : c.version, changed: false };
    }
    await recordActivation(root, c, { version: c.version, previous: before });
    await swapSymlink(currentLink(root, c), `releases/${c.version}`);
    return { previous: before, changed: true };
  }

  async function deactivate(c: ComponentPackage, previous?: string) {
    const now = await current(c);
    if (now !== c.version) {
      if (now !== previous) emit({ type: 'log', level: 'warn', message: `${c.name}: current is ${now ?? 'absent'}, not ${c.version}; left as is` });
    } else if (previous === undefined) {
      await fs.rm(currentLink(root, c), { force: true });
      await fsyncDir(path.dirname(currentLink(root, c)));
    } else {
      if (!(await exists(releaseDir(root, c, previous)))) {
        throw failure('PACKAGE_RELEASE_MISSING', `Cannot switch ${c.name} back to ${previous}: its release folder is gone.`, 'Reinstall the previous version with its own bundle.');
      }
      await swapSymlink(currentLink(root, c), `releases/${previous}`);
    }
    await clearActivation(root, c);
  }

  async function prune(c: ComponentRef, keep: number, protect: string[] = []) {
    if (!Number.isInteger(keep) || keep < 0) throw usageError('BAD_KEEP', `Cannot keep ${keep} releases.`, 'Give a whole number of releases to keep, 0 or more.');
    const dir = releasesDir(root, c);
    await sweepLeftovers(dir, { partials: true });
    if (!(await exists(dir))) return [];
    const entries = (await fs.readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory() && !d.name.startsWith('.'));
    const mtimes = new Map<string, number>();
    for (const d of entries) mtimes.set(d.name, (await fs.stat(path.join(dir, d.name))).mtimeMs);
    const newestFirst = [...mtimes.keys()].sort((a, b) => (semver.valid(a) && semver.valid(b) ? semver.rcompare(a, b) : mtimes.get(b)! - mtimes.get(a)!));
    const active = await current(c);
    const doomed = newestFirst.slice(keep).filter((v) => v !== active && !protect.includes(v));
    for (const v of doomed) {
      await removeTree(path.join(dir, v));
      await fs.rm(markerOf(path.join(dir, v)), { force: true });
    }
    return doomed;
  }

  return { stage, activate, deactivate, prune, current };
}
