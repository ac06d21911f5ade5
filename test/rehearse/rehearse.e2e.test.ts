/**
 * uphop rehearse on a live sandbox manager: the whole install runs on a copy while
 * the live REST service answers every poll, and afterwards every live file and the
 * live database are exactly as before (the rehearsal's report is the one new file);
 * a hop whose migration fails is reported with step and migration, live untouched.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFile, readdir, readFile, lstat, readlink } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundle, cli, health, sandbox, type DbKind, type Sandbox } from '../helpers/manager.js';
import { MYSQL, PG, serviceAvailable } from '../helpers/services.js';
import { variant } from '../helpers/variant.js';

/** the live services write their logs and the rehearsal its report: everything else must not move */
const MOVING = ['var/log', 'var/lib/uphop/reports'];

async function hashTree(root: string, rel = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(path.join(root, rel))).sort()) {
    const r = path.join(rel, name);
    if (MOVING.includes(r)) continue;
    const full = path.join(root, r);
    const st = await lstat(full);
    if (st.isSymbolicLink()) out[r] = `-> ${await readlink(full)}`;
    else if (st.isDirectory()) Object.assign(out, await hashTree(root, r));
    else
      out[r] = `${st.mode.toString(8)} ${createHash('sha256')
        .update(await readFile(full))
        .digest('hex')}`;
  }
  return out;
}

function dbDump(sb: Sandbox, kind: DbKind): string {
  const c = sb.values.db.connection;
  if (kind === 'sqlite') return 'in the file hashes';
  // pg_dump 15.14+ guards its output with a random \restrict key per run
  if (kind === 'pg')
    return execFileSync('pg_dump', ['-h', PG.host, '-p', String(PG.port), '-U', PG.user, '-n', c.schema, PG.database], { encoding: 'utf8', maxBuffer: 64 << 20 }).replace(/^\\(un)?restrict .*$/gm, '');
  return execFileSync('mysqldump', ['-h', MYSQL.host, '-P', String(MYSQL.port), '-u', MYSQL.user, '--skip-dump-date', c.database], { encoding: 'utf8', maxBuffer: 64 << 20 });
}

/** the live worker writes heartbeats every second: stopped, so the live DB holds still (the REST service only reads) */
async function stopWorker(sb: Sandbox) {
  const pid = Number((await readFile(path.join(sb.root, 'var/run/beacon/worker.pid'), 'utf8')).split('\n')[0]);
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    process.kill(pid, 'SIGKILL');
  }
  await new Promise((r) => setTimeout(r, 300));
}

function poller(port: number) {
  const answers: number[] = [];
  let stop = false;
  const done = (async () => {
    while (!stop) {
      const h = await health(port);
      answers.push(h.status === 200 && h.body?.version === '4.0.1' ? 200 : h.status || -1);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    answers,
    stop: async () => {
      stop = true;
      await done;
    },
  };
}

async function liveAt401(kind: DbKind): Promise<Sandbox> {
  const sb = await sandbox(kind);
  for (const hop of ['none-to-3.4.2', '3.4.2-to-4.0.1']) {
    const r = await cli(['install', bundle(hop), '--root', sb.root, ...(hop.startsWith('none') ? ['--values', sb.valuesFile] : []), '--allow-unsigned']);
    if (r.code !== 0) {
      await sb.cleanup();
      throw new Error(r.stderr);
    }
  }
  const rows = Array.from({ length: 1000 }, (_, i) => ({ name: `live row ${i}` }));
  for (let i = 0; i < rows.length; i += 200)
    await sb
      .db()('items')
      .insert(rows.slice(i, i + 200));
  await sb.db().destroy();
  await stopWorker(sb);
  return sb;
}

const kinds: { kind: DbKind; ok: () => Promise<boolean> }[] = [
  { kind: 'sqlite', ok: async () => true },
  { kind: 'pg', ok: () => serviceAvailable('pg') },
  { kind: 'mysql', ok: () => serviceAvailable('mysql') },
];

for (const { kind, ok } of kinds) {
  describe.skipIf(!(await ok()))(`rehearse 4.0.1 -> 4.1.1 (${kind})`, () => {
    let sb: Sandbox;
    beforeAll(async () => {
      sb = await liveAt401(kind);
    });
    afterAll(() => sb?.cleanup());

    it('runs the install on a copy, reports steps, migrations and the downtime, and leaves the live manager exactly as it was', async () => {
      // a config the site edited: kept as it is by the copy's install too, yet pointed at the copy's DB and ports
      await appendFile(path.join(sb.root, 'etc/beacon/worker.yaml'), '# tuned on site\n');
      const files = await hashTree(sb.root);
      const dump = dbDump(sb, kind);
      const reportsBefore = await readdir(path.join(sb.root, 'var/lib/uphop/reports'));
      const poll = poller(sb.restPort);
      const r = await cli(['rehearse', bundle('4.0.1-to-4.1.1'), '--root', sb.root, '--allow-unsigned', '--json']);
      await poll.stop();
      expect(r.code, r.stderr.slice(-2000)).toBe(0);
      const res = JSON.parse(r.stdout);
      expect(res).toMatchObject({ outcome: 'passed', from: '4.0.1', to: '4.1.1' });
      expect(res.downtimeMs).toBeGreaterThan(0);
      // the copy's REST service was probed during its install: clients of the copy saw it go and come back
      expect(res.outage).toMatchObject({ url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/health$/) });
      expect(res.outage.url).not.toContain(String(sb.restPort));
      expect(res.outage.failed).toBeGreaterThan(0);
      expect(res.copy.ms).toBeGreaterThanOrEqual(0);
      expect(res.migrations.map((m: any) => m.name)).toEqual(['4.1.1/001-add-item-slug.pre.mjs', '4.1.1/002-index-item-slug.mjs']);
      expect(res.steps.map((s: any) => s.step)).toEqual(
        expect.arrayContaining(['stop services', 'migrate schema (pre)', 'migrate schema', 'start services', 'health checks', 'migrate schema (post)']),
      );
      expect(res.ports.map((p: any) => p.key).sort()).toEqual(['rest_port', 'worker_port']);
      expect(res.siteEditedConfigs).toEqual(['etc/beacon/worker.yaml']);
      // the live REST service answered every poll, on the live version
      expect(poll.answers.length).toBeGreaterThan(5);
      expect(poll.answers.filter((a) => a !== 200)).toEqual([]);
      expect(await hashTree(sb.root)).toEqual(files);
      expect(dbDump(sb, kind)).toBe(dump);
      const reportsAfter = await readdir(path.join(sb.root, 'var/lib/uphop/reports'));
      expect(reportsAfter.filter((f) => !reportsBefore.includes(f)).sort()).toEqual([path.basename(res.report), path.basename(res.report).replace(/\.html$/, '.json')]);
      expect(res.report).toMatch(/-rehearse-beacon-4\.0\.1-to-4\.1\.1\.html$/);
      const st = JSON.parse((await cli(['status', '--root', sb.root, '--json'])).stdout);
      expect(st).toMatchObject({ state: 'installed', version: '4.0.1' });
      if (kind !== 'sqlite') {
        const name = /into database (\S+)/.exec(res.copy.database)![1];
        const list =
          kind === 'pg'
            ? execFileSync('psql', ['-h', PG.host, '-U', PG.user, '-d', PG.database, '-Atc', `select datname from pg_database where datname = '${name}'`], { encoding: 'utf8' })
            : execFileSync('mysql', ['-h', MYSQL.host, '-u', MYSQL.user, '-N', '-e', `show databases like '${name}'`], { encoding: 'utf8' });
        expect(list.trim()).toBe('');
      }
    });
  });
}

describe('rehearse a hop whose migration fails', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await liveAt401('sqlite');
  });
  afterAll(() => sb?.cleanup());

  it('exits 1 naming the step, the migration and the reason; the live manager is untouched', async () => {
    const v = await variant();
    try {
      await v.write('schema-migrations/4.1.1/003-explode.mjs', `export async function up() { throw new Error('boom in 003'); }\nexport async function down() {}\n`);
      const file = v.build('4.0.1-to-4.1.1');
      const files = await hashTree(sb.root);
      const poll = poller(sb.restPort);
      const r = await cli(['rehearse', file, '--root', sb.root, '--allow-unsigned']);
      await poll.stop();
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/REHEARSAL_FAILED.*at step "migrate schema" \(migration 4\.1\.1\/003-explode\.mjs\).*boom in 003.*The live manager was not touched/);
      expect(poll.answers.filter((a) => a !== 200)).toEqual([]);
      expect(await hashTree(sb.root)).toEqual(files);
      const info = JSON.parse((await cli(['report', '--root', sb.root, '--json'])).stdout);
      expect(info).toMatchObject({ outcome: 'failed' });
      expect(info.html).toMatch(/-rehearse-/);
    } finally {
      await v.cleanup();
    }
  });
});
