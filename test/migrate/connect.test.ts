import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Knex } from 'knex';
import { checkReachable, describeDatabase, openDatabase, type DbValues } from '../../src/drivers/db/connect.js';
import { MYSQL, PG, serviceAvailable } from '../helpers/services.js';

const SECRET = 's3cret-Pa55';
const opened: Knex[] = [];
let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'uphop-db-'));
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((k) => k.destroy()));
  rmSync(root, { recursive: true, force: true });
});
const open = (db: DbValues, extra: { nativeBinding?: string } = {}) => {
  const k = openDatabase(db, { root, ...extra });
  opened.push(k);
  return k;
};

/** a loopback port nothing listens on */
async function closedPort(): Promise<number> {
  const srv = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => srv.once('listening', r));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

describe('describeDatabase', () => {
  it('names client, user, host, port and database but never the password', () => {
    const fields = describeDatabase({ client: 'pg', connection: { host: 'db.local', port: 6432, user: 'beacon', password: SECRET, database: 'beacon', schema: 'app' } });
    expect(fields).toBe('pg beacon@db.local:6432/beacon schema app');
    const url = describeDatabase({ client: 'mysql', connection: { url: `mysql://beacon:${SECRET}@db.local/beacon` } });
    expect(url).toBe('mysql beacon@db.local:3306/beacon');
    expect(describeDatabase({ connection: { filename: 'var/lib/beacon/beacon.db' } }, '/srv/mgr')).toBe('sqlite /srv/mgr/var/lib/beacon/beacon.db');
  });
});

describe('openDatabase with sqlite', () => {
  it('keeps the file under the manager root and creates its folder', async () => {
    const knex = open({ connection: { filename: 'var/lib/beacon/beacon.db' } });
    await knex.raw('create table t (x integer)');
    expect(existsSync(path.join(root, 'var/lib/beacon/beacon.db'))).toBe(true);
    const abs = open({ client: 'sqlite', connection: { filename: '/var/lib/other.db' } });
    await abs.raw('select 1');
    expect(existsSync(path.join(root, 'var/lib/other.db'))).toBe(true);
  });

  it('refuses a filename that escapes the root', () => {
    expect(() => openDatabase({ connection: { filename: '../../etc/beacon.db' } }, { root })).toThrow(expect.objectContaining({ code: 'DB_CONFIG_INVALID', exitCode: 2 }));
    expect(() => openDatabase({ connection: {} }, { root })).toThrow(expect.objectContaining({ code: 'DB_CONFIG_INVALID' }));
  });

  it('loads better-sqlite3 from the given native binding (the bundled installer ships it beside itself)', async () => {
    const real = path.join(path.dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json')), 'build/Release/better_sqlite3.node');
    await expect(open({ connection: { filename: 'a.db' } }, { nativeBinding: real }).raw('select 1 as one')).resolves.toEqual([{ one: 1 }]);
    await expect(checkReachable(open({ connection: { filename: 'b.db' } }, { nativeBinding: path.join(root, 'missing.node') }))).rejects.toMatchObject({ code: 'DB_UNREACHABLE' });
  });
});

describe('checkReachable', () => {
  it.each(['pg', 'mysql'] as const)('refuses an unreachable %s server with host, port and database, without the password', async (client) => {
    const port = await closedPort();
    const err = await checkReachable(open({ client, connection: { host: '127.0.0.1', port, user: 'beacon', password: SECRET, database: 'beacon' } })).catch((e) => e);
    expect(err).toMatchObject({ code: 'DB_UNREACHABLE', exitCode: 3 });
    expect(err.message).toContain(`127.0.0.1:${port}/beacon`);
    expect(err.message + err.hint).not.toContain(SECRET);
  });

  it('passes on the running PostgreSQL and MariaDB (fields and url forms)', async (ctx) => {
    if (!(await serviceAvailable('pg')) || !(await serviceAvailable('mysql'))) ctx.skip();
    await checkReachable(open({ client: 'pg', connection: PG }));
    await checkReachable(open({ client: 'pg', connection: { url: `postgres://${PG.user}@${PG.host}:${PG.port}/${PG.database}` } }));
    await checkReachable(open({ client: 'mysql', connection: MYSQL }));
    await checkReachable(open({ client: 'mysql', connection: { url: `mysql://${MYSQL.user}@${MYSQL.host}:${MYSQL.port}/${MYSQL.database}` } }));
  });
});
