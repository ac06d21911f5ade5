/**
 * A database user that may not create databases (common on a customer's server)
 * gets one sentence naming the user, the server and the grant to ask for, not a
 * driver's stack trace; real PostgreSQL and MariaDB, a role made for the test.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyDatabase } from '../../src/rehearse/copy-db.js';
import { adminDo } from '../../src/sandbox/temp-db.js';
import { MYSQL, PG, serviceAvailable } from '../helpers/services.js';

const USER = 'uphop_no_createdb';
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'uphop-copy-db-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe.skipIf(!(await serviceAvailable('pg')))('PostgreSQL, a role without CREATEDB', () => {
  beforeAll(async () => {
    await adminDo('pg', PG, `do $$ begin if not exists (select from pg_roles where rolname = '${USER}') then create role ${USER} login nocreatedb; end if; end $$`);
  });
  it('REHEARSE_DB_COPY_FAILED names the user and the grant', async () => {
    const db = { client: 'pg' as const, connection: { ...PG, user: USER } };
    await expect(copyDatabase(db, dir, dir, (t) => t)).rejects.toMatchObject({
      code: 'REHEARSE_DB_COPY_FAILED',
      exitCode: 1,
      message: expect.stringMatching(new RegExp(`as ${USER}: .*permission denied`)),
      hint: expect.stringContaining(`ALTER ROLE ${USER} CREATEDB`),
    });
  });
});

describe.skipIf(!(await serviceAvailable('mysql')))('MariaDB, a user without CREATE', () => {
  beforeAll(async () => {
    await adminDo('mysql', MYSQL, `create user if not exists '${USER}'@'%'`);
    await adminDo('mysql', MYSQL, `create user if not exists '${USER}'@'localhost'`);
    await adminDo('mysql', MYSQL, `grant select on test.* to '${USER}'@'localhost'`);
    await adminDo('mysql', MYSQL, `grant select on test.* to '${USER}'@'%'`);
  });
  it('REHEARSE_DB_COPY_FAILED names the user and the grant', async () => {
    const db = { client: 'mysql' as const, connection: { ...MYSQL, user: USER } };
    await expect(copyDatabase(db, dir, dir, (t) => t)).rejects.toMatchObject({
      code: 'REHEARSE_DB_COPY_FAILED',
      message: expect.stringMatching(new RegExp(`as ${USER}: .*denied`, 'i')),
      hint: expect.stringContaining('GRANT CREATE'),
    });
  });
});
