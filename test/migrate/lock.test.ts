import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Knex } from 'knex';
import { MigrationRunner } from '../../src/migrate/runner.js';
import type { MigrationFile } from '../../src/migrate/types.js';
import { serviceAvailable } from '../helpers/services.js';
import { createTestDb, writeMigrations, DIALECTS, usePhaseChild, type TestDb } from './helpers.js';
import { BASE, MAIN, PRE } from './fixtures.js';

const available = { sqlite: true, pg: await serviceAvailable('pg'), mysql: await serviceAvailable('mysql') };

const runPhase = usePhaseChild();

/** a main-phase migration that writes a row, says it is inside, then never finishes */
const hanging = (readyFile: string) => ({
  '4.3.0/001-hang.mjs': `
import { writeFileSync } from 'node:fs';
export async function up({ context }) {
  await context('tags').insert({ label: 'hung' });
  writeFileSync(${JSON.stringify(readyFile)}, 'inside');
  await new Promise(() => setInterval(() => {}, 1000));
}
export async function down() {}
`,
});

/** a main-phase migration that waits for the test to open a gate (same process) */
const GATED = {
  '4.3.0/001-gated.mjs': `
export async function up({ context }) {
  await context('tags').insert({ label: 'gated' });
  globalThis.__uphopGate.entered();
  await globalThis.__uphopGate.released;
}
export async function down({ context }) { await context('tags').where({ label: 'gated' }).delete(); }
`,
};

async function waitFor(file: string, child: ChildProcess, stderr: () => string) {
  while (!existsSync(file)) {
    if (child.exitCode !== null) throw new Error(`child exited early (${child.exitCode}): ${stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(DIALECTS)('migration lock on %s', (dialect) => {
  let t: TestDb;
  let knex: Knex;
  let migrations: MigrationFile[];
  const runner = (list: MigrationFile[], lockTimeoutMs: number) => new MigrationRunner({ knex: t.open(), migrations: list, lockTimeoutMs });

  beforeEach(async (ctx) => {
    if (!available[dialect]) ctx.skip();
    t = await createTestDb(dialect);
    knex = t.open();
    migrations = writeMigrations(path.join(t.root, 'migrations'), BASE);
    await new MigrationRunner({ knex, migrations }).up('pre');
  });
  afterEach(async () => {
    await t?.drop();
  });

  it('refuses a second runner with DB_LOCKED while the first is migrating', async () => {
    const gated = [...migrations.filter((m) => m.phase === 'pre'), ...writeMigrations(path.join(t.root, 'migrations'), GATED)];
    let release!: () => void;
    const entered = new Promise<void>((resolve) => {
      (globalThis as Record<string, unknown>).__uphopGate = { entered: resolve, released: new Promise<void>((r) => (release = r)) };
    });
    const first = runner(gated, 10_000).up('main');
    await entered;
    const err = await runner(migrations, 300)
      .up('main')
      .catch((e) => e);
    release();
    expect(err).toMatchObject({ code: 'DB_LOCKED', exitCode: 3 });
    expect(err.message).toContain(dialect === 'sqlite' ? 'beacon.db' : t.db.connection!.host!);
    expect(await first).toEqual(['4.3.0/001-gated.mjs']);
    expect(await runner(migrations, 10_000).up('main')).toEqual(MAIN);
  });

  it('does not stay locked when the holder is killed', async () => {
    const ready = path.join(t.root, 'inside');
    const list = [...migrations.filter((m) => m.phase === 'pre'), ...writeMigrations(path.join(t.root, 'migrations'), hanging(ready))];
    const { child, stderr, exited } = runPhase({ db: t.db, root: t.root, migrations: list, phase: 'main' });
    try {
      await waitFor(ready, child, stderr);
      await expect(runner(migrations, 300).up('main')).rejects.toMatchObject({ code: 'DB_LOCKED' });
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    const after = runner(migrations, 30_000);
    expect(await after.up('main')).toEqual(MAIN);
    expect((await after.executed()).map((a) => a.name)).toEqual([...PRE, ...MAIN]);
    expect((await knex('tags').select('label')).map((r) => r.label).sort()).toEqual(['blue', 'red']);
  });

  it.skipIf(dialect === 'sqlite')('withLock holds the session lock across calls and lets the same runner in', async () => {
    const holder = runner(migrations, 10_000);
    await holder.withLock(async () => {
      await expect(runner(migrations, 300).up('main')).rejects.toMatchObject({ code: 'DB_LOCKED' });
      expect(await holder.up('main')).toEqual(MAIN);
    });
    expect(await runner(migrations, 300).up('post')).toEqual(['4.1.1/001-create-audit.post.js']);
  });
});
