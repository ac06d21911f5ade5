/**
 * Ledger, the Python reference product (products/ledger: a .deb service and a tarball
 * tool, SQL-only migrations), through the built CLI on SQLite and PostgreSQL: fresh
 * install, two hops, `uphop rollback`, an automatic rollback after an injected failure,
 * and kill -9 of the installer mid-install then `uphop resume`. After each step the test
 * looks where a user would: /health (version and schema), the entries, the processes.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLI, cli } from '../helpers/manager.js';
import { PG, serviceAvailable } from '../helpers/services.js';
import { addEntry, entries, ledgerHealth, ledgerProject, ledgerRuns, ledgerSandbox, type LedgerDb, type LedgerProject, type LedgerSandbox } from './ledger.js';

const SCHEMA = { '1.0.0': '1.0.0/001-entries.sql', '1.1.0': '1.1.0/002-currency-backfill.sql', '1.2.0': '1.2.0/001-account-index.pre.sql' } as const;
type Version = keyof typeof SCHEMA;

const kinds = [...(ledgerRuns('sqlite') ? ['sqlite'] : []), ...(ledgerRuns('pg') && (await serviceAvailable('pg')) ? ['pg'] : [])] as LedgerDb[];

let project: LedgerProject;
beforeAll(async () => {
  if (kinds.length) project = await ledgerProject();
});
afterAll(() => project?.cleanup());

describe.skipIf(!kinds.length)("Ledger's build-artifacts.sh", () => {
  it('makes the same bytes on every run (the guide says so)', async () => {
    const dirs = [await mkdtemp(path.join(tmpdir(), 'ledger-a-')), await mkdtemp(path.join(tmpdir(), 'ledger-b-'))];
    try {
      const sums = dirs.map((d) => {
        execFileSync('sh', ['products/ledger/build-artifacts.sh', d], { stdio: 'pipe' });
        return readdirSync(d)
          .sort()
          .map(
            (f) =>
              `${f} ${createHash('sha256')
                .update(readFileSync(path.join(d, f)))
                .digest('hex')}`,
          );
      });
      expect(sums[0]).toHaveLength(6); // a .deb and a tarball per version
      expect(sums[1]).toEqual(sums[0]);
    } finally {
      for (const d of dirs) await rm(d, { recursive: true, force: true });
    }
  });
});

// nothing can run here (the warnings above say why): one skipped test says so in the report
if (kinds.length === 0) it.todo('Ledger (Python): needs /usr/bin/python3 and dpkg-deb to run');

describe.each(kinds.map((k) => [k]) as Array<[LedgerDb]>)('Ledger (Python) on %s', (kind) => {
  let sb: LedgerSandbox;
  afterEach(async () => {
    await sb?.cleanup();
    sb = undefined as unknown as LedgerSandbox;
  });

  const install = (hop: string, file = project.bundle(hop)) => cli(['install', file, '--root', sb.root, '--allow-unsigned', ...(hop.startsWith('none-') ? ['--values', sb.valuesFile] : [])]);
  const installOk = async (hop: string) => {
    const r = await install(hop);
    expect(r.code, r.stderr).toBe(0);
  };

  /** what the operator sees: one healthy service on the version and its schema, the entries kept */
  const expectOn = async (version: Version, accounts: string[]) => {
    const h = await ledgerHealth(sb.port);
    expect(h, JSON.stringify(h.body)).toMatchObject({ status: 200, body: { version, schema: SCHEMA[version], entries: accounts.length } });
    expect(await sb.processes()).toEqual([h.body.pid]);
    const rows = await entries(sb.port);
    expect(rows.map((r) => r.account).sort()).toEqual([...accounts].sort());
    if (version !== '1.0.0') expect(rows.every((r) => typeof r.currency === 'string')).toBe(true);
    const st = JSON.parse((await cli(['status', '--root', sb.root, '--json'])).stdout);
    expect(st).toMatchObject({ state: 'installed', version });
  };

  const hasIndex = async () => {
    const q =
      kind === 'pg'
        ? "select indexname as name from pg_indexes where schemaname = current_schema() and indexname = 'entries_account'"
        : "select name from sqlite_master where type = 'index' and name = 'entries_account'";
    return (await sb.sql(q)).length === 1;
  };

  it('installs fresh, hops twice keeping the entries, and `uphop rollback` returns to 1.1.0', async () => {
    sb = await ledgerSandbox(kind);
    await installOk('none-to-1.0.0');
    await addEntry(sb.port, { account: 'alice', amount_cents: 1200 });
    await addEntry(sb.port, { account: 'bob', amount_cents: -300 });
    await expectOn('1.0.0', ['alice', 'bob']);

    await installOk('1.0.0-to-1.1.0');
    await expectOn('1.1.0', ['alice', 'bob']);
    // the backfill gave the 1.0.0 entries their currency; 1.1.0 takes one per entry
    expect((await entries(sb.port)).map((r) => r.currency)).toEqual(['EUR', 'EUR']);
    await addEntry(sb.port, { account: 'carol', amount_cents: 50, currency: 'CHF' });

    // the hop rehearsed first on a copy (a Python service, a .deb component): the live manager is not touched
    const rehearsal = await cli(['rehearse', project.bundle('1.1.0-to-1.2.0'), '--root', sb.root, '--allow-unsigned', '--json']);
    expect(rehearsal.code, rehearsal.stderr).toBe(0);
    const predicted = JSON.parse(rehearsal.stdout);
    expect(predicted).toMatchObject({ outcome: 'passed', from: '1.1.0', to: '1.2.0', ports: [{ key: 'http_port', from: sb.port }] });
    expect(predicted.migrations.map((m: { name: string }) => m.name)).toEqual(expect.arrayContaining([expect.stringMatching(/^1\.2\.0\//)]));
    expect(predicted.outage.url).not.toContain(`:${sb.port}/`);
    await expectOn('1.1.0', ['alice', 'bob', 'carol']);
    expect(await hasIndex()).toBe(false);

    await installOk('1.1.0-to-1.2.0');
    await expectOn('1.2.0', ['alice', 'bob', 'carol']);
    expect(await hasIndex()).toBe(true);
    // the tarball component: the operator's tool, on the new version, reads the same DB
    const tool = path.join(sb.root, 'opt/ledger/cli/current/ledgerctl.py');
    expect(readFileSync(tool, 'utf8')).toContain('VERSION = "1.2.0"');

    const back = await cli(['rollback', '--root', sb.root]);
    expect(back.code, back.stderr).toBe(0);
    await expectOn('1.1.0', ['alice', 'bob', 'carol']);
    expect(await hasIndex()).toBe(false); // the index's down ran
    expect(readFileSync(tool, 'utf8')).toContain('VERSION = "1.1.0"');
  });

  const on110 = async () => {
    sb = await ledgerSandbox(kind);
    for (const hop of ['none-to-1.0.0', '1.0.0-to-1.1.0']) await installOk(hop);
    await addEntry(sb.port, { account: 'alice', amount_cents: 1, currency: 'USD' });
  };

  it('rolls back by itself when the new version never turns healthy', async () => {
    await on110();

    // a 1.2.0 whose health check expects a version the service never reports
    const unhealthy = await project.variant('unhealthy', '1.1.0-to-1.2.0', (spec) => {
      spec.services.health[0].body = '"version": "9.9.9"';
      spec.services.health[0].timeout = '2s';
    });
    const r1 = await install('1.1.0-to-1.2.0', unhealthy);
    expect(r1.code, r1.stderr).toBe(1);
    expect(r1.stderr).toMatch(/health/i);
    await expectOn('1.1.0', ['alice']);
    expect(await hasIndex()).toBe(false); // the pre migration was reverted
  });

  it('rolls back by itself when a migration fails, and the good bundle goes in afterwards', async () => {
    await on110();
    // a 1.2.0 with a migration that fails between stop and start
    const broken = await project.variant('broken', '1.1.0-to-1.2.0', () => {}, {
      'schema-migrations/1.2.0/002-broken.sql': '-- up\ninsert into no_such_table values (1);\n-- down\nselect 1;\n',
    });
    const r2 = await install('1.1.0-to-1.2.0', broken);
    expect(r2.code, r2.stderr).toBe(1);
    expect(r2.stderr).toMatch(/no_such_table/);
    await expectOn('1.1.0', ['alice']);
    expect(await hasIndex()).toBe(false);

    await installOk('1.1.0-to-1.2.0');
    await expectOn('1.2.0', ['alice']);
  });

  it("uphop test-path takes every hop up, down and up again with Ledger's Python seed and verify hook", async () => {
    const args = [
      'test-path',
      '--from',
      '1.0.0',
      '--to',
      '1.2.0',
      '--bundles',
      path.dirname(project.bundle('none-to-1.0.0')),
      '--allow-unsigned',
      '--values',
      path.join(project.dir, 'templates/values.sample.yaml'),
      '--rows',
      '40',
      '--db',
      kind === 'pg' ? 'postgres' : 'sqlite',
      '--reports',
      path.join(project.dir, 'reports', kind),
      '--json',
    ];
    const r = await cli(args, kind === 'pg' ? { UPHOP_TEST_DB_URL: `postgres://${PG.user}@${PG.host}:${PG.port}/${PG.database}` } : {});
    expect(r.code, r.stderr).toBe(0);
    // the hook's own words: it seeded, then checked the data after each hop
    expect(r.stdout + r.stderr).toContain('seeded 40 entries');
    expect(r.stdout + r.stderr).toContain('40 entries ok at 1.2.0');
  });

  // a moment inside the downtime or around it, chosen at random (seed printed) and found in the journal.
  // "start services" is the one that found a stray: a service spawned just before the kill, which
  // resume used to start a second time (port in use, then ROLLBACK_FAILED).
  const MOMENTS = ['stage packages', 'migrate schema (pre)', 'stop services', 'install packages', 'write configs', 'migrate schema', 'start services', 'health checks'];

  /** on 1.0.0 with an entry, the 1.0.0 -> 1.1.0 install killed at a random moment: status says interrupted */
  const crashedHop = async (then: string) => {
    sb = await ledgerSandbox(kind);
    await installOk('none-to-1.0.0');
    await addEntry(sb.port, { account: 'alice', amount_cents: 7 });
    const seed = Number(process.env.LEDGER_SEED ?? Date.now() % 100_000);
    const step = MOMENTS[seed % MOMENTS.length];
    console.log(`ledger kill -9 on ${kind}, then ${then}: seed ${seed} (LEDGER_SEED to repeat), killed once "${step}" begins`);
    const killed = await killWhenJournalShows(sb.root, ['install', project.bundle('1.0.0-to-1.1.0'), '--root', sb.root, '--allow-unsigned'], step);
    expect(killed, `the install ended before "${step}" began`).toBe(true);
    const st = JSON.parse((await cli(['status', '--root', sb.root, '--json'])).stdout);
    expect(st).toMatchObject({ state: 'interrupted' });
    expect(st.next).toContain(`uphop ${then}`);
  };

  it('kill -9 of the installer mid-install, then `uphop resume` finishes the hop', async () => {
    await crashedHop('resume');
    const resumed = await cli(['resume', '--root', sb.root]);
    expect(resumed.code, resumed.stderr).toBe(0);
    await expectOn('1.1.0', ['alice']);
    expect((await entries(sb.port))[0].currency).toBe('EUR');
  });

  it('kill -9 of the installer mid-install, then `uphop rollback` returns to 1.0.0', async () => {
    await crashedHop('rollback');
    const back = await cli(['rollback', '--root', sb.root]);
    expect(back.code, back.stderr).toBe(0);
    await expectOn('1.0.0', ['alice']);
    // the pre migration's column went with the rollback: the schema is 1.0.0's again
    const columns =
      kind === 'pg'
        ? await sb.sql("select column_name as name from information_schema.columns where table_schema = current_schema() and table_name = 'entries'")
        : await sb.sql("select name from pragma_table_info('entries')");
    expect(columns.map((c: { name: string }) => c.name)).not.toContain('currency');
  });
});

/** runs the CLI and SIGKILLs it once its journal records that `step` began; false when it ended first */
async function killWhenJournalShows(root: string, args: string[], step: string): Promise<boolean> {
  const dir = path.join(root, 'var/lib/uphop/journal');
  const lines = () => (existsSync(dir) ? readdirSync(dir) : []).filter((f) => f.endsWith('.jsonl')).flatMap((f) => readFileSync(path.join(dir, f), 'utf8').split('\n'));
  const before = new Set(lines()); // the journals of earlier installs (each line carries its time)
  const begins = (line: string) => {
    if (before.has(line)) return false;
    try {
      const r = JSON.parse(line);
      return r.step === step && r.status === 'begin';
    } catch {
      return false;
    } // a line being written
  };
  const began = () => lines().some(begins);
  const child = spawn(process.execPath, [CLI, ...args], { stdio: 'ignore' });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  while (!exited && !began()) await sleep(2);
  if (exited) return false;
  child.kill('SIGKILL');
  await new Promise((resolve) => (exited ? resolve(null) : child.once('exit', resolve)));
  return true;
}
