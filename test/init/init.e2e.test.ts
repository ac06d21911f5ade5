/**
 * `uphop init` as a new product team runs it, with the built CLI in a temp folder
 * outside the repository: the scaffold builds and installs without an edit (the
 * site values are the sample's, on a free port), its service answers its health
 * check, `init --hop` adds the next hop that builds and installs too, and every
 * bad input is refused with exit 2 and a hint, writing nothing.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, stopServices } from '../helpers/manager.js';
import { MYSQL, PG, serviceAvailable } from '../helpers/services.js';
import { runIn } from '../helpers/stranger.js';

let base: string;
beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'uphop-init-'));
});
afterAll(async () => {
  for (const d of await readdir(base)) await stopServices(path.join(base, d));
  await rm(base, { recursive: true, force: true });
});

const health = async (port: number) => (await fetch(`http://127.0.0.1:${port}/health`)).json();

/** a site's values: the sample, on a port nothing else uses */
async function siteValues(project: string, change: (v: Record<string, any>) => void = () => {}): Promise<{ file: string; port: number }> {
  const values = YAML.parse(await readFile(path.join(project, 'templates/values.sample.yaml'), 'utf8'));
  values.http_port = await freePort();
  change(values);
  const file = path.join(project, 'site.yaml');
  await writeFile(file, YAML.stringify(values));
  return { file, port: values.http_port };
}

describe('uphop init, then build --all and install, without an edit', () => {
  it('scaffolds, builds, installs a healthy service; init --hop adds a hop that builds and installs', async () => {
    const r = await runIn(base, ['init', 'acme', '--product', 'acme-manager', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const project = path.join(base, 'acme');
    expect(JSON.parse(r.stdout).project).toMatchObject({ product: 'acme-manager', version: '1.0.0', db: 'sqlite' });
    for (const f of [
      'README.md',
      'bundles/none-to-1.0.0/bundle.yaml',
      'templates/acme-manager.conf.tmpl',
      'templates/values.sample.yaml',
      'schema-migrations/1.0.0/001-create-items.sql',
      'components/server/server.mjs',
    ]) {
      expect(existsSync(path.join(project, f)), f).toBe(true);
    }
    const built = await runIn(project, ['build', '--all', '--out', 'out', '--json']);
    expect(built.code, built.stderr).toBe(0);
    const site = await siteValues(project);
    const root = path.join(base, 'manager');
    const inst = await runIn(project, ['install', 'out/acme-manager-none-to-1.0.0.tar.gz', '--root', root, '--values', site.file, '--allow-unsigned']);
    expect(inst.code, inst.stderr).toBe(0);
    expect(await health(site.port)).toEqual({ status: 'ok', version: '1.0.0' });
    expect(await readFile(path.join(root, 'etc/acme-manager/acme-manager.conf'), 'utf8')).toContain(`port: ${site.port}`);

    const hop = await runIn(project, ['init', '--hop', '1.0.0', '1.1.0', '--json']);
    expect(hop.code, hop.stderr).toBe(0);
    expect(JSON.parse(hop.stdout).hop).toMatchObject({ from: '1.0.0', to: '1.1.0', bumped: ['server'] });
    const spec = YAML.parse(await readFile(path.join(project, 'bundles/1.0.0-to-1.1.0/bundle.yaml'), 'utf8'));
    expect(spec).toMatchObject({ from: '1.0.0', to: '1.1.0', migrations: 'schema-migrations', components: [{ name: 'server', version: '1.1.0' }] });
    await mkdir(path.join(project, 'schema-migrations/1.1.0'));
    await writeFile(path.join(project, 'schema-migrations/1.1.0/001-add-note.sql'), '-- up\nALTER TABLE items ADD COLUMN note VARCHAR(200);\n-- down\nALTER TABLE items DROP COLUMN note;\n');
    const rebuilt = await runIn(project, ['build', '--all', '--out', 'out']);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    const up = await runIn(project, ['install', 'out/acme-manager-1.0.0-to-1.1.0.tar.gz', '--root', root, '--allow-unsigned']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain('1.1.0/001-add-note.sql');
    expect(await health(site.port)).toEqual({ status: 'ok', version: '1.1.0' });
  });

  it("--db postgres: the scaffold installs on PostgreSQL with the site's connection", async (ctx) => {
    if (!(await serviceAvailable('pg'))) return ctx.skip();
    const r = await runIn(base, ['init', 'pgprod', '--product', 'pgprod', '--version', '2.0.0', '--db', 'postgres']);
    expect(r.code, r.stderr).toBe(0);
    const project = path.join(base, 'pgprod');
    expect((await runIn(project, ['build', '--all', '--out', 'out'])).code).toBe(0);
    const schema = `uphop_init_${Math.random().toString(36).slice(2, 10)}`;
    const admin = knexFactory({ client: 'pg', connection: PG });
    await admin.raw(`create schema ${schema}`);
    try {
      const site = await siteValues(project, (v) => {
        expect(v.db.client).toBe('pg');
        v.db.connection = { ...v.db.connection, database: PG.database, schema };
      });
      const inst = await runIn(project, ['install', 'out/pgprod-none-to-2.0.0.tar.gz', '--root', path.join(base, 'pgmanager'), '--values', site.file, '--allow-unsigned']);
      expect(inst.code, inst.stderr).toBe(0);
      expect(await health(site.port)).toEqual({ status: 'ok', version: '2.0.0' });
      expect((await admin.raw('select count(*)::int as n from information_schema.tables where table_schema = ? and table_name = ?', [schema, 'items'])).rows[0].n).toBe(1);
    } finally {
      await stopServices(path.join(base, 'pgmanager'));
      await admin.raw(`drop schema if exists ${schema} cascade`);
      await admin.destroy();
    }
  });

  it("--db mysql: the scaffold installs on MariaDB with the site's connection", async (ctx) => {
    if (!(await serviceAvailable('mysql'))) return ctx.skip();
    const r = await runIn(base, ['init', 'myprod', '--product', 'myprod', '--db', 'mysql']);
    expect(r.code, r.stderr).toBe(0);
    const project = path.join(base, 'myprod');
    expect((await runIn(project, ['build', '--all', '--out', 'out'])).code).toBe(0);
    const database = `uphop_init_${Math.random().toString(36).slice(2, 10)}`;
    const admin = knexFactory({ client: 'mysql2', connection: { ...MYSQL, database: undefined } });
    await admin.raw(`create database ${database}`);
    try {
      const site = await siteValues(project, (v) => {
        expect(v.db.client).toBe('mysql');
        v.db.connection = { ...v.db.connection, user: MYSQL.user, password: MYSQL.password, database };
      });
      const inst = await runIn(project, ['install', 'out/myprod-none-to-1.0.0.tar.gz', '--root', path.join(base, 'mymanager'), '--values', site.file, '--allow-unsigned']);
      expect(inst.code, inst.stderr).toBe(0);
      expect(await health(site.port)).toEqual({ status: 'ok', version: '1.0.0' });
      expect((await admin.raw('select count(*) as n from information_schema.tables where table_schema = ? and table_name = ?', [database, 'items']))[0][0].n).toBe(1);
    } finally {
      await stopServices(path.join(base, 'mymanager'));
      await admin.raw(`drop database if exists ${database}`);
      await admin.destroy();
    }
  });
});

describe('uphop init refuses, exit 2, writing nothing', () => {
  const cases: { name: string; args: string[]; setup?: (dir: string) => Promise<void>; error: RegExp; hint: RegExp }[] = [
    { name: 'a non-empty folder', args: ['--product', 'acme'], setup: (d) => writeFile(path.join(d, 'keep.txt'), 'mine'), error: /INIT_NOT_EMPTY.*keep\.txt/, hint: /new or empty folder.*--hop/ },
    { name: 'no product', args: [], error: /INIT_NO_PRODUCT/, hint: /--product NAME/ },
    { name: 'a bad product name', args: ['--product', 'Acme_Manager'], error: /INIT_BAD_NAME.*Acme_Manager/, hint: /lowercase letters/ },
    { name: 'a bad version', args: ['--product', 'acme', '--version', 'v1.2'], error: /INIT_BAD_VERSION.*v1\.2/, hint: /e\.g\. 1\.2\.0/ },
    { name: 'a bad db', args: ['--product', 'acme', '--db', 'oracle'], error: /INIT_BAD_DB.*oracle/, hint: /sqlite.*postgres.*mysql/ },
    { name: '--hop without a project', args: ['--hop', '1.0.0', '1.1.0'], error: /INIT_NO_BUNDLES/, hint: /uphop init --product NAME/ },
    { name: '--hop going down', args: ['--hop', '1.1.0', '1.0.0'], error: /INIT_HOP_ORDER/, hint: /higher one/ },
  ];
  it.each(cases)('$name', async (c) => {
    const dir = await mkdtemp(path.join(base, 'refuse-'));
    await c.setup?.(dir);
    const before = await readdir(dir);
    const r = await runIn(dir, ['init', ...c.args]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(c.error);
    expect(r.stderr).toMatch(new RegExp(`hint: .*${c.hint.source}`));
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(await readdir(dir)).toEqual(before);
  });

  it('--hop that skips versions, or that exists already', async () => {
    const dir = await mkdtemp(path.join(base, 'hops-'));
    expect((await runIn(dir, ['init', '--product', 'acme'])).code).toBe(0);
    const gap = await runIn(dir, ['init', '--hop', '1.2.0', '1.3.0']);
    expect(gap.code).toBe(2);
    expect(gap.stderr).toMatch(/INIT_HOP_GAP.*ends at 1\.0\.0[\s\S]*uphop init --hop 1\.0\.0 1\.3\.0/);
    expect((await runIn(dir, ['init', '--hop', '1.0.0', '1.1.0'])).code).toBe(0);
    const again = await runIn(dir, ['init', '--hop', '1.0.0', '1.1.0']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/INIT_HOP_GAP|INIT_HOP_EXISTS/);
  });
});
