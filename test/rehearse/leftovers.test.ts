/**
 * The sweep of rehearsal copies left by a killed rehearsal, against a real
 * PostgreSQL: a dead rehearsal's folder and database go; a running rehearsal's,
 * another root's, another user's planted folder, and a database not named like a
 * rehearsal copy stay.
 */
import { execFileSync } from 'node:child_process';
import { chown, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyName } from '../../src/rehearse/copy-db.js';
import { markWork, sweepLeftovers, WORK_PREFIX } from '../../src/rehearse/leftovers.js';
import { adminDo } from '../../src/sandbox/temp-db.js';
import { PG, serviceAvailable } from '../helpers/services.js';

const LIVE = '/srv/live-manager';
const db = { client: 'pg' as const, connection: { ...PG } };
let parent: string;
const logs: string[] = [];
const emit = (e: { type: string; message?: string }) => void (e.type === 'log' && logs.push(e.message!));

const databases = async () => {
  const k = knexFactory({ client: 'pg', connection: PG });
  try {
    return ((await k.raw('select datname from pg_database')).rows as { datname: string }[]).map((r) => r.datname);
  } finally {
    await k.destroy();
  }
};

/** a work folder whose mark names a rehearsal that has exited */
async function deadRehearsal(o: { live?: string; product?: string; database?: string }): Promise<string> {
  const work = await mkdtemp(path.join(parent, WORK_PREFIX));
  const pid = Number(execFileSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).trim());
  await writeFile(path.join(work, 'rehearsal.json'), JSON.stringify({ pid, startTime: '1', live: o.live ?? LIVE, product: o.product ?? 'acme', database: o.database }));
  await mkdir(path.join(work, 'root/opt/acme'), { recursive: true });
  return work;
}

beforeAll(async () => {
  parent = await mkdtemp(path.join(tmpdir(), 'uphop-leftovers-'));
});
afterAll(() => rm(parent, { recursive: true, force: true }));

describe.skipIf(!(await serviceAvailable('pg')))('sweepLeftovers on PostgreSQL', () => {
  it("removes a dead rehearsal's copy and its database, nothing else", async () => {
    const name = copyName();
    const notACopy = `keep_${name}`;
    await adminDo('pg', PG, `create database ${name}`);
    await adminDo('pg', PG, `create database ${notACopy}`);
    try {
      const dead = await deadRehearsal({ database: name });
      const hostile = await deadRehearsal({ database: notACopy });
      const otherRoot = await deadRehearsal({ live: '/srv/other' });
      const otherProduct = await deadRehearsal({ product: 'other' });
      const running = await mkdtemp(path.join(parent, WORK_PREFIX));
      await markWork(running, { live: LIVE, product: 'acme' });
      const link = path.join(parent, `${WORK_PREFIX}link`);
      await symlink(otherRoot, link);
      // planted by another user (as root here, the folder can be given away)
      const foreign = await deadRehearsal({});
      if (process.getuid?.() === 0) await chown(foreign, 65534, 65534);

      const removed = await sweepLeftovers(parent, LIVE, 'acme', db, emit as never);
      expect(removed).toBe(process.getuid?.() === 0 ? 2 : 3);
      const left = await readdir(parent);
      expect(left).not.toContain(path.basename(dead));
      expect(left).not.toContain(path.basename(hostile));
      expect(left).toEqual(expect.arrayContaining([path.basename(otherRoot), path.basename(otherProduct), path.basename(running), path.basename(link)]));
      if (process.getuid?.() === 0) expect(left).toContain(path.basename(foreign));
      const dbs = await databases();
      expect(dbs).not.toContain(name);
      // a planted mark cannot make uphop drop a database that is not a rehearsal's copy
      expect(dbs).toContain(notACopy);
      expect(logs.join('\n')).toMatch(new RegExp(`and its database ${name}`));
    } finally {
      await adminDo('pg', PG, `drop database if exists ${name}`);
      await adminDo('pg', PG, `drop database if exists ${notACopy}`);
    }
  });
});
