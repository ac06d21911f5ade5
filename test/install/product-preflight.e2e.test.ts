/**
 * What a stranger's product hits at install time, refused by preflight before any
 * change (nothing under the root but what preflight itself reads): a key the
 * templates need that the site values lack, a service program that is not on
 * PATH, a PostgreSQL schema that does not exist (which used to pass preflight and
 * fail in pg_dump).
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import knexFactory from 'knex';
import { afterEach, expect, it } from 'vitest';
import { PG, serviceAvailable } from '../helpers/services.js';
import { stranger, type Stranger } from '../helpers/stranger.js';

let s: Stranger | undefined;
afterEach(async () => {
  await s?.cleanup();
  s = undefined;
});

const spec = (extra: string[]) =>
  ['product: acme', 'from: none', 'to: 1.0.0', 'components:', '  - name: app', '    version: 1.0.0', '    package: components/app', '    type: tarball', ...extra, ''].join('\n');

async function build(t: Stranger, lines: string[]): Promise<string> {
  await t.write('components/app/run.sh', '#!/bin/sh\nexec sleep 600\n', 0o755);
  await t.write('bundles/none-to-1.0.0/bundle.yaml', spec(lines));
  const r = await t.uphop(['build', '--all', '--out', 'out', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout).bundles[0].path;
}

/** nothing was installed: no state, no journal, no release */
async function nothingChanged(root: string) {
  expect(existsSync(path.join(root, 'var/lib/uphop/state.json'))).toBe(false);
  expect(existsSync(path.join(root, 'opt'))).toBe(false);
  expect(existsSync(path.join(root, 'etc/acme/values.yaml'))).toBe(false);
  const journal = path.join(root, 'var/lib/uphop/journal');
  if (existsSync(journal)) for (const f of await readdir(journal)) expect(f).not.toMatch(/\.jsonl$/);
}

it('a key the config template needs but the site values lack: exit 3 naming the key and the values file', async () => {
  s = await stranger();
  await s.write('templates/app.conf.tmpl', 'port: ${http_port}\nname: ${site.name}\n');
  await s.write('templates/values.sample.yaml', 'http_port: 8080\nsite: { name: sample }\n');
  const bundle = await build(s, ['configs:', '  - { template: templates/app.conf.tmpl, dest: etc/acme/app.conf }']);
  const site = await s.write('site.yaml', 'http_port: 8080\n');
  // --dry-run on a root that does not exist yet says the same, and makes nothing
  for (const extra of [['--dry-run'], []]) {
    const r = await s.uphop(['install', bundle, '--root', s.root, '--values', site, '--allow-unsigned', ...extra]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/PREFLIGHT_VALUES.*app\.conf\.tmpl line 2 uses \$\{site\.name\}, which is not in the values of .*site\.yaml/);
    expect(r.stderr).toMatch(/hint: add site\.name to .*site\.yaml \(a dotted name is a nested key\), then run again/);
    if (extra.length) expect(existsSync(s.root)).toBe(false);
  }
  await nothingChanged(s.root);
});

it('a service program that is not on PATH, or an absolute one that does not exist: exit 3 naming both', async () => {
  s = await stranger();
  const missing = `acme-daemon-${Math.random().toString(36).slice(2, 8)}`;
  const bundle = await build(s, [
    '    service:',
    `      exec: ["${missing}", "--config", "\${root}/etc/acme/app.conf"]`,
    '  - { name: web, version: 1.0.0, package: components/app, type: tarball, service: { exec: ["/opt/nowhere/bin/web", "--serve"] } }',
    'services:',
    '  order: [app, web]',
  ]);
  const site = await s.write('site.yaml', '{}\n');
  const r = await s.uphop(['install', bundle, '--root', s.root, '--values', site, '--allow-unsigned']);
  expect(r.code, r.stderr).toBe(3);
  expect(r.stderr).toMatch(new RegExp(`PREFLIGHT_COMMANDS.*service app runs "${missing}", which is not on PATH`));
  expect(r.stderr).toMatch(/service web runs \/opt\/nowhere\/bin\/web, which does not exist or is not executable/);
  expect(r.stderr).toMatch(/hint: install the program on this manager/);
  await nothingChanged(s.root);
});

it('a PostgreSQL schema that does not exist: exit 3 naming it, before the backup', async (ctx) => {
  if (!(await serviceAvailable('pg'))) return ctx.skip();
  s = await stranger();
  await s.write('sql/1.0.0/001-t.sql', '-- up\nCREATE TABLE t (id int);\n-- down\nDROP TABLE t;\n');
  const bundle = await build(s, ['migrations: sql']);
  const schema = `uphop_missing_${Math.random().toString(36).slice(2, 10)}`;
  const site = await s.write('site.yaml', `db: { client: pg, connection: { host: ${PG.host}, port: ${PG.port}, user: ${PG.user}, database: ${PG.database}, schema: ${schema} } }\n`);
  const r = await s.uphop(['install', bundle, '--root', s.root, '--values', site, '--allow-unsigned']);
  expect(r.code, r.stderr).toBe(3);
  expect(r.stderr).toMatch(new RegExp(`DB_SCHEMA_MISSING.*schema "${schema}" \\(db\\.connection\\.schema\\) does not exist`));
  expect(r.stderr).toMatch(/hint: create it \(CREATE SCHEMA/);
  expect(r.stderr).not.toMatch(/pg_dump/);
  await nothingChanged(s.root);
  const admin = knexFactory({ client: 'pg', connection: PG });
  try {
    expect((await admin.raw('select 1 from pg_namespace where nspname = ?', [schema])).rows).toHaveLength(0);
  } finally {
    await admin.destroy();
  }
});
