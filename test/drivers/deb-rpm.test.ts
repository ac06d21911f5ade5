import { execFileSync } from 'node:child_process';
import { existsSync, promises as fs, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createPackageDriver, type ComponentPackage } from '../../src/drivers/packages/index.js';
import { extractCpioSafely } from '../../src/drivers/packages/cpio.js';
import { tempDir } from './fixtures.js';

const tmp = tempDir('deb');
afterAll(() => tmp.cleanup());

const hasTool = (tool: string, why: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    console.warn(`skipping ${why}: ${tool} is not installed (apt-get install ${tool === 'dpkg-deb' ? 'dpkg' : 'rpm'})`);
    return false;
  }
};

/** a real .deb built with dpkg-deb --build */
async function buildDeb(version: string, extra?: (tree: string) => Promise<void>): Promise<string> {
  const tree = path.join(tmp.dir, `deb-${version}`);
  await fs.mkdir(path.join(tree, 'DEBIAN'), { recursive: true });
  await fs.mkdir(path.join(tree, 'opt/beacon/worker/bin'), { recursive: true });
  await fs.writeFile(path.join(tree, 'DEBIAN/control'), `Package: beacon-worker\nVersion: ${version}-1\nArchitecture: all\nMaintainer: Beacon <ops@example.com>\nDescription: beacon worker\n`);
  await fs.writeFile(path.join(tree, 'opt/beacon/worker/bin/worker.js'), `console.log('worker ${version}')`, { mode: 0o755 });
  await extra?.(tree);
  const file = path.join(tmp.dir, `beacon-worker_${version}.deb`);
  execFileSync('dpkg-deb', ['--root-owner-group', '--build', tree, file], { stdio: 'ignore' });
  return file;
}

describe.skipIf(!hasTool('dpkg-deb', 'deb driver tests'))('deb package driver (extract mode)', () => {
  const root = path.join(tmp.dir, 'root');
  const drv = createPackageDriver('deb', { root });
  const pkg = (version: string, file: string): ComponentPackage => ({ product: 'beacon', name: 'worker', version, type: 'deb', file });

  it('extracts a real .deb into the releases layout and activates it', async () => {
    const c = pkg('4.1.1', await buildDeb('4.1.1'));
    await drv.stage(c);
    const script = path.join(root, 'opt/beacon/worker/releases/4.1.1/opt/beacon/worker/bin/worker.js');
    expect(readFileSync(script, 'utf8')).toBe("console.log('worker 4.1.1')");
    expect(statSync(script).mode & 0o777).toBe(0o755);
    expect(existsSync(path.join(root, 'opt/beacon/worker/releases/4.1.1/DEBIAN'))).toBe(false); // control data is not payload
    expect(await drv.activate(c)).toEqual({ previous: undefined, changed: true });
    expect(readFileSync(path.join(root, 'opt/beacon/worker/current/opt/beacon/worker/bin/worker.js'), 'utf8')).toContain('4.1.1');
  });

  it('refuses a .deb whose symlink points out of the release', async () => {
    const file = await buildDeb('6.6.6', (tree) => fs.symlink('/etc/shadow', path.join(tree, 'opt/beacon/worker/bin/secrets')));
    const err = await drv.stage(pkg('6.6.6', file)).catch((e) => e);
    expect(err.code).toBe('PACKAGE_UNSAFE_ENTRY');
    expect(err.message).toContain('/etc/shadow');
    expect(existsSync(path.join(root, 'opt/beacon/worker/releases/6.6.6'))).toBe(false);
  });

  it("reports dpkg-deb's own complaint for a file that is not a .deb", async () => {
    const file = path.join(tmp.dir, 'not-a.deb');
    await fs.writeFile(file, 'this is not an ar archive');
    const err = await drv.stage(pkg('7.0.0', file)).catch((e) => e);
    expect(err.code).toBe('PACKAGE_UNPACK_FAILED');
    expect(err.message).toContain('dpkg-deb --fsys-tarfile not-a.deb failed');
    expect(existsSync(path.join(root, 'opt/beacon/worker/releases/7.0.0'))).toBe(false);
  });
});

/** a newc cpio archive, as rpm2cpio writes it */
function newc(entries: Array<{ name: string; mode: number; data?: string; ino?: number; nlink?: number }>): Buffer {
  const parts: Buffer[] = [];
  const pad = (n: number) => Buffer.alloc((4 - (n % 4)) % 4);
  const hex = (n: number) => n.toString(16).padStart(8, '0');
  for (const [i, e] of [...entries, { name: 'TRAILER!!!', mode: 0 }].entries()) {
    const data = Buffer.from(e.data ?? '');
    const name = Buffer.from(`${e.name}\0`);
    const fields = [e.ino ?? i + 1, e.mode, 0, 0, e.nlink ?? 1, 0, data.length, 0, 0, 0, 0, name.length, 0];
    const header = Buffer.from(`070701${fields.map(hex).join('')}`, 'latin1');
    parts.push(header, name, pad(header.length + name.length), data, pad(data.length));
  }
  return Buffer.concat(parts);
}

describe('rpm payload (newc cpio) extraction', () => {
  it('unpacks files, folders, symlinks and hard links', async () => {
    const dest = path.join(tmp.dir, 'cpio-ok');
    await fs.mkdir(dest);
    const archive = newc([
      { name: './opt/beacon/agent', mode: 0o040755 },
      { name: './opt/beacon/agent/agent.js', mode: 0o100755, data: "console.log('agent')" },
      { name: './opt/beacon/agent/main.js', mode: 0o120777, data: 'agent.js' },
      { name: './opt/beacon/agent/a.conf', mode: 0o100644, ino: 99, nlink: 2 },
      { name: './opt/beacon/agent/b.conf', mode: 0o104644, data: 'port=1', ino: 99, nlink: 2 },
    ]);
    await extractCpioSafely(Readable.from([archive.subarray(0, 100), archive.subarray(100)]), dest, 'agent.rpm');
    const dir = path.join(dest, 'opt/beacon/agent');
    expect(readFileSync(path.join(dir, 'main.js'), 'utf8')).toBe("console.log('agent')");
    expect(readFileSync(path.join(dir, 'a.conf'), 'utf8')).toBe('port=1');
    expect(statSync(path.join(dir, 'b.conf')).mode & 0o7777).toBe(0o644); // set-uid dropped
  });

  it('refuses ../, absolute paths, escaping symlinks and device files', async () => {
    const bad = [
      [{ name: '../x', mode: 0o100644, data: 'pwned' }, 'a path with ".."'],
      [{ name: '/etc/cron.d/x', mode: 0o100644, data: 'pwned' }, 'an absolute path'],
      [{ name: './lib', mode: 0o120777, data: '../../..' }, 'a symbolic link pointing outside'],
      [{ name: './null', mode: 0o020666 }, 'a CharacterDevice entry'],
    ] as const;
    for (const [entry, why] of bad) {
      const dest = path.join(tmp.dir, `cpio-bad-${Math.random()}`);
      await fs.mkdir(dest);
      const err = await extractCpioSafely(Readable.from([newc([entry])]), dest, 'evil.rpm').catch((e) => e);
      expect(err.code).toBe('PACKAGE_UNSAFE_ENTRY');
      expect(err.message).toContain(why);
      expect(await fs.readdir(dest)).toEqual([]);
    }
    expect(existsSync(path.join(tmp.dir, 'x'))).toBe(false);
  });

  it('names a truncated archive', async () => {
    const dest = path.join(tmp.dir, 'cpio-cut');
    await fs.mkdir(dest);
    const archive = newc([{ name: './big', mode: 0o100644, data: 'x'.repeat(1000) }]).subarray(0, 400);
    await expect(extractCpioSafely(Readable.from([archive]), dest, 'cut.rpm')).rejects.toMatchObject({ code: 'PACKAGE_UNPACK_FAILED', message: expect.stringContaining('cut.rpm') });
  });
});

// Debian's `rpm` package brings rpmbuild and rpm2cpio (.ci/run installs it): on CI a missing tool is a failure, not a skip
const rpmTools = hasTool('rpm2cpio', 'rpm driver test') && hasTool('rpmbuild', 'rpm driver test');
if (!rpmTools && process.env.CI) throw new Error('the rpm driver test must run on CI: apt-get install -y rpm');

describe.skipIf(!rpmTools)('rpm package driver (extract mode)', () => {
  it('extracts an rpm built by rpmbuild', async () => {
    const top = path.join(tmp.dir, 'rpmbuild');
    await fs.mkdir(path.join(top, 'SPECS'), { recursive: true });
    await fs.writeFile(
      path.join(top, 'SPECS/agent.spec'),
      'Name: beacon-agent\nVersion: 4.1.1\nRelease: 1\nSummary: agent\nLicense: MIT\nBuildArch: noarch\n%description\nagent\n%install\nmkdir -p %{buildroot}/opt/beacon/agent\necho ok > %{buildroot}/opt/beacon/agent/agent.txt\n%files\n/opt/beacon/agent/agent.txt\n',
    );
    execFileSync('rpmbuild', ['--define', `_topdir ${top}`, '-bb', path.join(top, 'SPECS/agent.spec')], { stdio: 'ignore' });
    const file = path.join(top, 'RPMS/noarch/beacon-agent-4.1.1-1.noarch.rpm');
    const root = path.join(tmp.dir, 'rpm-root');
    const drv = createPackageDriver('rpm', { root });
    await drv.stage({ product: 'beacon', name: 'agent', version: '4.1.1', type: 'rpm', file });
    expect(readFileSync(path.join(root, 'opt/beacon/agent/releases/4.1.1/opt/beacon/agent/agent.txt'), 'utf8')).toBe('ok\n');
  });
});
