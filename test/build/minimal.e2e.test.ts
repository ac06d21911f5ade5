/**
 * The hop-spec contract alone is enough: a spec with only product, from, to and
 * components builds (uphop's own install.sh, no templates/, no sample values, no
 * hooks) and installs; a product with only configs and a SQL migration, no
 * services, installs too.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { stranger, type Stranger } from '../helpers/stranger.js';

let s: Stranger | undefined;
afterEach(async () => {
  await s?.cleanup();
  s = undefined;
});

const list = (bundle: string) =>
  execFileSync('tar', ['-tzf', bundle], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l && !l.endsWith('/'));

it("a spec with only the required keys builds with uphop's install.sh and installs", async () => {
  s = await stranger();
  await s.tarball('app-1.0.0.tgz', { 'bin/app.sh': '#!/bin/sh\necho app\n', README: 'app 1.0.0\n' });
  await s.write('bundles/none-to-1.0.0/bundle.yaml', 'product: acme\nfrom: none\nto: 1.0.0\ncomponents:\n  - { name: app, version: 1.0.0, package: "${artifacts}/app-1.0.0.tgz", type: tarball }\n');
  const built = await s.uphop(['build', '--all', '--out', 'out', '--json']);
  expect(built.code, built.stderr).toBe(0);
  const bundle = JSON.parse(built.stdout).bundles[0].path;
  expect(
    list(bundle)
      .map((f) => f.split('/').slice(1).join('/'))
      .sort(),
  ).toEqual(['bundle.json', 'components/app-1.0.0.tgz', 'install.sh', 'installer/better_sqlite3.node', 'installer/uphop-installer.cjs']);
  const installSh = execFileSync('tar', ['-xzOf', bundle, 'acme-none-to-1.0.0/install.sh'], { encoding: 'utf8' });
  expect(installSh).toContain('# acme upgrade bundle none -> 1.0.0');
  expect(installSh).toContain('case "${1:-}" in');

  await s.write('site.yaml', '{}\n');
  const inst = await s.uphop(['install', bundle, '--root', s.root, '--values', 'site.yaml', '--allow-unsigned']);
  expect(inst.code, inst.stderr).toBe(0);
  expect(inst.stdout).toContain('acme none -> 1.0.0 installed');
  expect(await readFile(path.join(s.root, 'opt/acme/app/current/README'), 'utf8')).toBe('app 1.0.0\n');
  const st = await s.uphop(['status', '--root', s.root, '--json']);
  expect(JSON.parse(st.stdout)).toMatchObject({ product: 'acme', version: '1.0.0' });
});

it("install_script still overrides uphop's install.sh", async () => {
  s = await stranger();
  await s.tarball('app-1.0.0.tgz', { a: 'a' });
  await s.write('own-install.sh.tmpl', '#!/bin/sh\necho "our own installer for ${product} ${to}"\n');
  await s.write(
    'bundles/none-to-1.0.0/bundle.yaml',
    'product: acme\nfrom: none\nto: 1.0.0\ninstall_script: own-install.sh.tmpl\ncomponents:\n  - { name: app, version: 1.0.0, package: "${artifacts}/app-1.0.0.tgz", type: tarball }\n',
  );
  const built = await s.uphop(['build', '--all', '--out', 'out', '--json']);
  expect(built.code, built.stderr).toBe(0);
  const installSh = execFileSync('tar', ['-xzOf', JSON.parse(built.stdout).bundles[0].path, 'acme-none-to-1.0.0/install.sh'], { encoding: 'utf8' });
  expect(installSh).toBe('#!/bin/sh\necho "our own installer for acme 1.0.0"\n');
});

it('a product with only configs and a SQL migration, no services, installs: config rendered, table created', async () => {
  s = await stranger();
  await s.tarball('data-2.0.0.tgz', { 'schema.txt': 'data files\n' });
  await s.write('conf/settings.ini.tmpl', '[app]\nroot = ${root}\nname = ${site_name}\n');
  await s.write('conf/sample.yaml', 'site_name: sample\ndb: { client: sqlite, connection: { filename: var/lib/acme/acme.db } }\n');
  await s.write('sql/2.0.0/001-create-notes.sql', '-- up\nCREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\n-- down\nDROP TABLE notes;\n');
  await s.write(
    'bundles/none-to-2.0.0/bundle.yaml',
    [
      'product: acme',
      'from: none',
      'to: 2.0.0',
      'sample_values: conf/sample.yaml',
      'migrations: sql',
      'components:',
      '  - { name: data, version: 2.0.0, package: "${artifacts}/data-2.0.0.tgz", type: tarball }',
      'configs:',
      '  - { template: conf/settings.ini.tmpl, dest: etc/acme/settings.ini }',
      '',
    ].join('\n'),
  );
  const built = await s.uphop(['build', '--all', '--out', 'out', '--json']);
  expect(built.code, built.stderr).toBe(0);
  await s.write('site.yaml', 'site_name: plant-7\ndb: { client: sqlite, connection: { filename: var/lib/acme/acme.db } }\n');
  const inst = await s.uphop(['install', JSON.parse(built.stdout).bundles[0].path, '--root', s.root, '--values', 'site.yaml', '--allow-unsigned']);
  expect(inst.code, inst.stderr).toBe(0);
  expect(await readFile(path.join(s.root, 'etc/acme/settings.ini'), 'utf8')).toBe(`[app]\nroot = ${s.root}\nname = plant-7\n`);
  const db = new Database(path.join(s.root, 'var/lib/acme/acme.db'), { readonly: true });
  try {
    expect(db.prepare("select name from sqlite_master where type = 'table' and name = 'notes'").all()).toHaveLength(1);
    expect(db.prepare('select name from uphop_migrations').all()).toEqual([{ name: '2.0.0/001-create-notes.sql' }]);
  } finally {
    db.close();
  }
  expect(existsSync(path.join(s.root, 'var/run'))).toBe(false);
});
