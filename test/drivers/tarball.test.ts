import { existsSync, promises as fs, readlinkSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as tar from 'tar';
import { afterAll, describe, expect, it } from 'vitest';
import { createPackageDriver, type ComponentPackage } from '../../src/drivers/packages/index.js';
import { tempDir } from './fixtures.js';

const tmp = tempDir('tarball');
afterAll(() => tmp.cleanup());
const root = path.join(tmp.dir, 'root');
const drv = createPackageDriver('tarball', { root });
const compDir = path.join(root, 'opt/beacon/rest-service');
const current = path.join(compDir, 'current');

/** a real component tarball: bin/server.js + VERSION */
async function tarball(version: string): Promise<ComponentPackage> {
  const src = path.join(tmp.dir, `src-${version}`);
  const file = path.join(tmp.dir, `beacon-rest-${version}.tgz`);
  const c: ComponentPackage = { product: 'beacon', name: 'rest-service', version, type: 'tarball', file };
  if (existsSync(file)) return c;
  await fs.mkdir(path.join(src, 'bin'), { recursive: true });
  await fs.writeFile(path.join(src, 'VERSION'), version);
  await fs.writeFile(path.join(src, 'bin/server.js'), `console.log(${JSON.stringify(version)})`);
  await fs.symlink('bin/server.js', path.join(src, 'main.js'));
  await tar.c({ gzip: true, file, cwd: src, portable: true }, ['.']);
  return c;
}

/** what `current` serves: the VERSION file through the link, which must be a complete release */
const served = () => readFileSync(path.join(current, 'VERSION'), 'utf8');
const releases = async () => (await fs.readdir(path.join(compDir, 'releases'))).sort();

describe('tarball package driver', () => {
  it('stages, activates, re-runs after a crash, and swaps back', async () => {
    const v1 = await tarball('4.0.1');
    const v2 = await tarball('4.1.1');
    await expect(drv.activate(v1)).rejects.toMatchObject({ code: 'PACKAGE_NOT_STAGED' });

    await drv.stage(v1);
    expect(existsSync(current)).toBe(false); // staged, not active
    expect(await drv.activate(v1)).toEqual({ previous: undefined, changed: true });
    expect(readlinkSync(current)).toBe('releases/4.0.1'); // relative: a copied root still works
    expect(served()).toBe('4.0.1');
    expect(readFileSync(path.join(current, 'main.js'), 'utf8')).toContain('4.0.1');

    await drv.stage(v2);
    expect(served()).toBe('4.0.1');
    expect(await drv.activate(v2)).toEqual({ previous: '4.0.1', changed: true });
    expect(served()).toBe('4.1.1');
    // the installer was killed before it journaled the result: the re-run still knows the previous one
    expect(await drv.activate(v2)).toEqual({ previous: '4.0.1', changed: false });
    expect(await drv.current(v2)).toBe('4.1.1');

    await drv.deactivate(v2, '4.0.1');
    expect(served()).toBe('4.0.1');
    await drv.deactivate(v2, '4.0.1'); // undo again after a crash: nothing moves
    expect(served()).toBe('4.0.1');
    expect((await fs.readdir(compDir)).filter((n) => n.includes('tmp'))).toEqual([]);

    // undo of a fresh install removes `current`
    await drv.deactivate(v1, undefined);
    expect(existsSync(current)).toBe(false);
    expect(await drv.current(v1)).toBeUndefined();
  });

  it('removes a .partial left by a crash and treats a complete release as staged', async () => {
    const v = await tarball('4.2.0');
    const partial = path.join(compDir, 'releases/4.2.0.partial');
    await fs.mkdir(partial, { recursive: true });
    await fs.writeFile(path.join(partial, 'half-written.bin'), 'xx');
    await drv.stage(v);
    expect(await fs.readdir(path.join(compDir, 'releases/4.2.0'))).toEqual(['VERSION', 'bin', 'main.js']);
    expect(existsSync(partial)).toBe(false);

    await fs.writeFile(path.join(compDir, 'releases/4.2.0/site-note'), 'kept');
    await drv.stage(v); // re-staging is a no-op, not a re-unpack
    expect(existsSync(path.join(compDir, 'releases/4.2.0/site-note'))).toBe(true);
  });

  it('prunes the oldest releases, never the current one nor the protected ones', async () => {
    for (const v of ['3.4.2', '4.0.1', '4.1.1', '4.2.0', '4.3.0']) await drv.stage(await tarball(v));
    await drv.activate(await tarball('4.1.1'));
    await fs.mkdir(path.join(compDir, 'releases/9.9.9.partial'));
    expect(await drv.prune({ product: 'beacon', name: 'rest-service' }, 2, ['3.4.2'])).toEqual(['4.0.1']);
    expect(await releases()).toEqual(['3.4.2', '4.1.1', '4.2.0', '4.3.0']);
    expect(served()).toBe('4.1.1');
    expect(await drv.prune({ product: 'beacon', name: 'rest-service' }, 0, [])).toEqual(['4.3.0', '4.2.0', '3.4.2']);
    expect(await releases()).toEqual(['4.1.1']);
  });

  it('refuses a tarball with ../, an absolute path or a symlink escaping, and installs nothing of it', async () => {
    const evil = path.join(tmp.dir, 'evil');
    await fs.mkdir(path.join(evil, 'pkg'), { recursive: true });
    await fs.writeFile(path.join(evil, 'x'), 'pwned');
    await fs.writeFile(path.join(evil, 'pkg/ok.txt'), 'fine');
    const dotdot = path.join(tmp.dir, 'dotdot.tgz');
    await tar.c({ gzip: true, file: dotdot, cwd: path.join(evil, 'pkg'), preservePaths: true }, ['ok.txt', '../x']);
    await fs.symlink('../../../../etc', path.join(evil, 'pkg/etc'));
    const link = path.join(tmp.dir, 'link.tgz');
    await tar.c({ gzip: true, file: link, cwd: path.join(evil, 'pkg') }, ['ok.txt', 'etc']);
    const absolute = path.join(tmp.dir, 'absolute.tar');
    await tar.c({ file: absolute, preservePaths: true }, [path.join(evil, 'x')]);

    const cases: Array<[string, string]> = [
      [dotdot, 'a path with ".."'],
      [link, 'a symbolic link pointing outside'],
      [absolute, 'an absolute path'],
    ];
    for (const [file, why] of cases) {
      const c: ComponentPackage = { product: 'beacon', name: 'evil', version: '1.0.0', type: 'tarball', file };
      const err = await drv.stage(c).catch((e) => e);
      expect(err.code).toBe('PACKAGE_UNSAFE_ENTRY');
      expect(err.message).toContain(why);
      expect(existsSync(path.join(root, 'opt/beacon/evil/releases/1.0.0'))).toBe(false);
      expect(await fs.readdir(path.join(root, 'opt/beacon/evil/releases'))).toEqual([]);
    }
    expect(existsSync(path.join(root, 'opt/beacon/evil/releases/x'))).toBe(false);
    expect(existsSync(path.join(root, 'opt/beacon/evil/x'))).toBe(false);
  });

  it('names a damaged package and a broken layout', async () => {
    const bad = path.join(tmp.dir, 'truncated.tgz');
    await fs.writeFile(bad, (await fs.readFile((await tarball('5.0.0')).file)).subarray(0, 60));
    const err = await drv.stage({ product: 'beacon', name: 'rest-service', version: '5.0.0', type: 'tarball', file: bad }).catch((e) => e);
    expect(err.code).toBe('PACKAGE_UNPACK_FAILED');
    expect(existsSync(path.join(compDir, 'releases/5.0.0'))).toBe(false);

    const other = path.join(root, 'opt/beacon/legacy');
    await fs.mkdir(path.join(other, 'current'), { recursive: true });
    await expect(drv.current({ product: 'beacon', name: 'legacy' })).rejects.toMatchObject({ code: 'PACKAGE_LAYOUT' });
    await expect(drv.stage({ product: 'beacon', name: '../etc', version: '1', type: 'tarball', file: bad })).rejects.toMatchObject({ code: 'BAD_NAME' });
  });
});

describe('a release staged from another package of the same version', () => {
  it('is unpacked again when the package sha256 differs, kept when it matches', async () => {
    const sub = path.join(tmp.dir, 'restage');
    const d = createPackageDriver('tarball', { root: sub });
    const pack = async (text: string) => {
      const src = path.join(tmp.dir, `restage-${text}`);
      await fs.mkdir(src, { recursive: true });
      await fs.writeFile(path.join(src, 'VERSION'), text);
      const file = path.join(tmp.dir, `restage-${text}.tgz`);
      await tar.c({ gzip: true, file, cwd: src, portable: true }, ['VERSION']);
      return file;
    };
    const ref = { product: 'beacon', name: 'worker', version: '5.0.0', type: 'tarball' as const };
    const first = await pack('first build');
    const second = await pack('second build');
    const version = () => readFileSync(path.join(sub, 'opt/beacon/worker/releases/5.0.0/VERSION'), 'utf8');
    await d.stage({ ...ref, file: first, sha256: 'a'.repeat(64) });
    expect(version()).toBe('first build');
    await d.stage({ ...ref, file: second, sha256: 'a'.repeat(64) }); // same package: a no-op
    expect(version()).toBe('first build');
    await d.stage({ ...ref, file: second, sha256: 'b'.repeat(64) }); // a rebuild with the same number
    expect(version()).toBe('second build');
  });
});
