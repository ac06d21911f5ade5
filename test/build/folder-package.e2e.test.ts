/**
 * A tarball component's package may be a folder: uphop packs it at build time,
 * reproducibly (file times and umask do not change the bytes), with modes by the
 * executable bit, and refuses links and folders outside the project.
 */
import { execFileSync } from 'node:child_process';
import { chmod, symlink, utimes } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { stranger, type Stranger } from '../helpers/stranger.js';

let s: Stranger | undefined;
afterEach(async () => {
  await s?.cleanup();
  s = undefined;
});

const SPEC = 'product: acme\nfrom: none\nto: 1.0.0\ncomponents:\n  - { name: app, version: 1.0.0, package: components/app, type: tarball }\n';
const inner = (bundle: string) => execFileSync('sh', ['-c', `tar -xzOf '${bundle}' acme-none-to-1.0.0/components/app-1.0.0.tgz | tar -tvzf -`], { encoding: 'utf8' });
const sha = (file: string) => execFileSync('sha256sum', [file], { encoding: 'utf8' }).split(' ')[0];

it('packs the folder into components/<name>-<version>.tgz, the same bytes whatever the file times and modes', async () => {
  s = await stranger();
  await s.write('components/app/bin/run.sh', '#!/bin/sh\necho run\n', 0o755);
  await s.write('components/app/lib/z.txt', 'z\n');
  await s.write('components/app/a.txt', 'a\n');
  await s.write('bundles/none-to-1.0.0/bundle.yaml', SPEC);
  const first = await s.uphop(['build', '--all', '--out', 'one', '--json']);
  expect(first.code, first.stderr).toBe(0);
  const listing = inner(JSON.parse(first.stdout).bundles[0].path).trim().split('\n');
  expect(listing.map((l) => l.split(/\s+/).pop())).toEqual(['a.txt', 'bin/', 'bin/run.sh', 'lib/', 'lib/z.txt']);
  expect(listing.find((l) => l.endsWith('bin/run.sh'))).toMatch(/^-rwxr-xr-x 0\/0/);
  expect(listing.find((l) => l.endsWith('a.txt'))).toMatch(/^-rw-r--r-- 0\/0/);
  // another checkout: other mtimes, group-writable files (another umask)
  await utimes(path.join(s.dir, 'components/app/a.txt'), 1, 1);
  await chmod(path.join(s.dir, 'components/app/lib/z.txt'), 0o664);
  const second = await s.uphop(['build', '--all', '--out', 'two', '--json']);
  expect(sha(JSON.parse(second.stdout).bundles[0].path)).toBe(sha(JSON.parse(first.stdout).bundles[0].path));
  const inst = await s.uphop(['install', JSON.parse(second.stdout).bundles[0].path, '--root', s.root, '--values', await s.write('site.yaml', '{}\n'), '--allow-unsigned']);
  expect(inst.code, inst.stderr).toBe(0);
  expect(execFileSync(path.join(s.root, 'opt/acme/app/current/bin/run.sh'), { encoding: 'utf8' })).toBe('run\n');
});

it('refuses a symlink inside the folder, a folder outside the project and a folder for a deb, exit 2', async () => {
  s = await stranger();
  await s.write('components/app/a.txt', 'a\n');
  await symlink('/etc/passwd', path.join(s.dir, 'components/app/passwd'));
  await s.write('bundles/none-to-1.0.0/bundle.yaml', SPEC);
  const link = await s.uphop(['build', '--all', '--out', 'out']);
  expect(link.code).toBe(2);
  expect(link.stderr).toMatch(/PACKAGE_FOLDER_LINK.*passwd, which is a symlink/);
  await s.write('bundles/none-to-1.0.0/bundle.yaml', SPEC.replace('package: components/app', `package: ${path.dirname(s.dir)}`));
  const outside = await s.uphop(['build', '--all', '--out', 'out']);
  expect(outside.code).toBe(2);
  expect(outside.stderr).toMatch(/components\[0\]\.package.*outside the project/s);
  await s.write('bundles/none-to-1.0.0/bundle.yaml', SPEC.replace('type: tarball', 'type: deb'));
  const deb = await s.uphop(['build', '--all', '--out', 'out']);
  expect(deb.code).toBe(2);
  expect(deb.stderr).toMatch(/is a folder, which only a tarball component may be/);
  expect(deb.stderr).not.toMatch(/\n\s+at /);
});
