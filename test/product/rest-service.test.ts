import { beforeAll, describe, expect, it } from 'vitest';
import { serviceAvailable } from '../helpers/services.js';
import { freshDb } from './helpers/databases.js';
import { migrateTo, migrationsOf } from './helpers/migrations.js';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import knexFactory from 'knex';
import YAML from 'yaml';
import { render } from './helpers/render.js';
import { getJson, packInto, rmrf, start, stop, tempDir, unpack, writeConfig, type PackResult } from './helpers/programs.js';

const VERSIONS = ['3.4.2', '4.0.1', '4.1.1', '4.2.0'];
let packed: Map<string, PackResult>;

beforeAll(async () => {
  packed = await packInto(undefined, VERSIONS, ['rest-service']);
});

/** unpacks the packed rest-service of `version`, runs it against `db`, hands the base URL to `use` */
async function withRest(version: string, db: Record<string, unknown>, use: (base: string) => Promise<void>) {
  const dir = await unpack(packed.get(`rest-service@${version}`)!.file);
  const config = writeConfig(dir, 'rest-service.yaml', { port: 0, host: '127.0.0.1', root: dir, log_level: 'info', db });
  const rest = await start(dir, 'server.js', ['--config', config]);
  try {
    await use(`http://127.0.0.1:${rest.port}`);
  } finally {
    expect(await stop(rest)).toBe(0);
    rmrf(dir);
  }
}

const lastMigration = (version: string) =>
  migrationsOf(version)
    .map((m) => m.name)
    .sort()
    .at(-1);

/** what a client of `version` sees of the domain API */
async function exerciseDomain(base: string, version: string) {
  const titleKey = version === '4.2.0' ? 'title' : 'name';
  const hasTags = version !== '3.4.2';
  const created = await getJson(`${base}/items`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ [titleKey]: 'Hello, Beacon World!', tags: ['red', 'blue'] }),
  });
  expect(created.status).toBe(201);
  expect(created.body[titleKey]).toBe('Hello, Beacon World!');
  if (titleKey === 'title') expect(created.body).not.toHaveProperty('name');
  if (version >= '4.1.1') expect(created.body.slug).toBe('hello-beacon-world');
  else expect(created.body).not.toHaveProperty('slug');
  if (hasTags) expect(created.body.tags).toEqual(['blue', 'red']);

  const one = await getJson(`${base}/items/${created.body.id}`);
  expect(one).toMatchObject({ status: 200, body: { id: created.body.id, [titleKey]: 'Hello, Beacon World!' } });
  expect((await getJson(`${base}/items`)).body.map((i: Record<string, unknown>) => i.id)).toEqual([created.body.id]);
  expect((await getJson(`${base}/items/999`)).status).toBe(404);
  expect((await getJson(`${base}/items`, { method: 'POST', body: '{}' })).status).toBe(400);

  const tags = await getJson(`${base}/tags`);
  if (hasTags) expect(tags.body.map((t: { name: string }) => t.name)).toEqual(['blue', 'red']);
  else expect(tags.status).toBe(404);

  const job = await getJson(`${base}/jobs`, { method: 'POST', body: JSON.stringify({ kind: 'noop' }) });
  expect(job).toMatchObject({ status: 201, body: { kind: 'noop', state: 'pending' } });
}

describe.each(VERSIONS)('packed rest-service %s on SQLite', (version) => {
  it('answers /health with its version and the latest migration, and serves its domain API', async () => {
    const fresh = await freshDb('sqlite');
    try {
      await migrateTo(fresh.knex, version);
      await withRest(version, fresh.db, async (base) => {
        expect(await getJson(`${base}/health`)).toEqual({ status: 200, body: { status: 'ok', version, schema: lastMigration(version) } });
        expect(await getJson(`${base}/version`)).toEqual({ status: 200, body: { version } });
        await exerciseDomain(base, version);
      });
    } finally {
      await fresh.drop();
    }
  });
});

describe('rest-service with the config rendered from templates/rest-service.yaml.tmpl', () => {
  it('finds its SQLite database relative to the manager root', async () => {
    const root = tempDir('manager-root');
    const values = { ...YAML.parse(readFileSync('templates/values.sample.yaml', 'utf8')), root, product: 'beacon', version: '4.0.1', rest_port: 0 };
    const db = { ...values.db, connection: { filename: path.join(root, values.db.connection.filename) } };
    const knex = knexFactory({
      client: 'better-sqlite3',
      useNullAsDefault: true,
      connection: { filename: (mkdirSync(path.dirname(db.connection.filename), { recursive: true }), db.connection.filename) },
    });
    const dir = await unpack(packed.get('rest-service@4.0.1')!.file);
    try {
      await migrateTo(knex, '4.0.1');
      const config = path.join(dir, 'rest-service.yaml');
      writeFileSync(config, render(readFileSync('templates/rest-service.yaml.tmpl', 'utf8'), values));
      const rest = await start(dir, 'server.js', ['--config', config]);
      expect((await getJson(`http://127.0.0.1:${rest.port}/health`)).body).toMatchObject({ status: 'ok', version: '4.0.1' });
      expect(await stop(rest)).toBe(0);
    } finally {
      await knex.destroy();
      rmrf(dir);
      rmrf(root);
    }
  });
});

describe('health reflects the schema', () => {
  it('answers 503 with the reason when the schema is the previous version', async () => {
    const fresh = await freshDb('sqlite');
    try {
      await migrateTo(fresh.knex, '4.1.1');
      await withRest('4.2.0', fresh.db, async (base) => {
        const res = await getJson(`${base}/health`);
        expect(res.status).toBe(503);
        expect(res.body.reason).toContain('items.title is missing');
      });
    } finally {
      await fresh.drop();
    }
  });

  it('answers 503 when the database is unreachable', async () => {
    const db = { client: 'pg', connection: { host: '127.0.0.1', port: 1, user: 'nobody', password: 'secret-pw', database: 'none' } };
    await withRest('3.4.2', db, async (base) => {
      const res = await getJson(`${base}/health`);
      expect(res.status).toBe(503);
      expect(res.body.reason).toMatch(/database unreachable/);
      expect(JSON.stringify(res.body)).not.toContain('secret-pw');
    });
  });
});

for (const dialect of ['pg', 'mysql'] as const) {
  describe.skipIf(!(await serviceAvailable(dialect)))(`packed rest-service on ${dialect}`, () => {
    it.each(['3.4.2', '4.2.0'])('%s answers /health and serves its domain API', async (version) => {
      const fresh = await freshDb(dialect);
      try {
        await migrateTo(fresh.knex, version);
        await withRest(version, fresh.db, async (base) => {
          expect(await getJson(`${base}/health`)).toEqual({ status: 200, body: { status: 'ok', version, schema: lastMigration(version) } });
          await exerciseDomain(base, version);
        });
      } finally {
        await fresh.drop();
      }
    });
  });
}
