/**
 * The install options as an operator meets them: --dry-run (says everything,
 * changes nothing), --json, --notify (a real HTTP endpoint on loopback, and one
 * that refuses connections), a config the site edited, --no-rollback then
 * rollback, rollback of a completed hop, and secrets that never reach the output.
 */
import { createServer, type Server } from 'node:http';
import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INSTALL_STEPS } from '../../src/install/steps/index.js';
import { bundle, cli, freePort, health, sandbox, type DbKind, type Sandbox, sandboxOn401 } from '../helpers/manager.js';
import { serviceAvailable } from '../helpers/services.js';
import { variant, type Variant } from '../helpers/variant.js';
import { snapshot, expectUnchanged, status } from './manager-state.js';

const HOP = '4.0.1-to-4.1.1';

/** a webhook receiver on loopback: every POSTed JSON body, in arrival order */
async function receiver(): Promise<{ url: string; bodies: any[]; close(): Promise<void> }> {
  const bodies: any[] = [];
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (d) => (text += d));
    req.on('end', () => {
      bodies.push({ contentType: req.headers['content-type'], ...JSON.parse(text) });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/hooks/uphop`, bodies, close: () => new Promise((r) => server.close(() => r())) };
}

describe('install options on a 4.0.1 manager', () => {
  let sb: Sandbox;
  let v: Variant;
  let hook: Awaited<ReturnType<typeof receiver>>;
  let unhealthy: string;
  beforeAll(async () => {
    sb = await sandboxOn401({ items: ['kept through it all'] });
    hook = await receiver();
    v = await variant();
    await v.editSpec(HOP, (s) => {
      s.services.health[0].body = '"version":"9.9.9"';
      s.services.health[0].timeout = '2s';
    });
    unhealthy = v.build(HOP);
  });
  afterAll(async () => {
    await hook?.close();
    await v?.cleanup();
    await sb?.cleanup();
  });

  const items = async () => (await sb.db()('items').select('name')).map((x: any) => x.name);

  it('--dry-run prints every step, package, migration and config, and changes nothing', async () => {
    const before = await snapshot(sb);
    const r = await cli(['install', bundle(HOP), '--root', sb.root, '--allow-unsigned', '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    const out = r.stdout;
    expect(out).toContain('dry run of beacon-4.0.1-to-4.1.1: 4.0.1 -> 4.1.1');
    for (const s of INSTALL_STEPS) expect(out).toContain(` -> ${s.name} -> `);
    expect(out).toMatch(/^ {2}rest-service 4\.0\.1 -> 4\.1\.1 {2}\(components\/beacon-rest-4\.1\.1\.tgz\)$/m);
    expect(out).toMatch(/^ {2}worker 4\.0\.1 -> 4\.1\.1 {2}\(components\/beacon-worker-4\.1\.1\.tgz\)$/m);
    expect(out).toMatch(/^ {2}pre {2}4\.1\.1\/001-add-item-slug\.pre\.mjs$/m);
    expect(out).toMatch(/^ {2}main 4\.1\.1\/002-index-item-slug\.mjs$/m);
    expect(out).toMatch(/^ {2}etc\/beacon\/rest-service\.yaml: write$/m);
    expect(out).toMatch(/^ {2}etc\/beacon\/worker\.yaml: write$/m);
    expect(out).toContain('stop: worker, rest-service; start: rest-service, worker');
    expect(out).toContain('dry run: nothing was changed.');
    await expectUnchanged(sb, before, '4.0.1');

    // a site edit shows up as such, and --json gives the same plan as data
    await appendFile(path.join(sb.root, 'etc/beacon/rest-service.yaml'), '# tuned by the site\n');
    const edited = await snapshot(sb);
    const j = await cli(['install', bundle(HOP), '--root', sb.root, '--allow-unsigned', '--dry-run', '--json']);
    expect(j.code, j.stderr).toBe(0);
    const res = JSON.parse(j.stdout);
    expect(res).toMatchObject({ outcome: 'dry-run', from: '4.0.1', to: '4.1.1' });
    expect(res.plan.migrations).toEqual([
      { name: '4.1.1/001-add-item-slug.pre.mjs', phase: 'pre' },
      { name: '4.1.1/002-index-item-slug.mjs', phase: 'main' },
    ]);
    expect(res.plan.configs).toEqual([
      { dest: 'etc/beacon/rest-service.yaml', action: 'keep-site-edit (new one as .new)' },
      { dest: 'etc/beacon/worker.yaml', action: 'write' },
    ]);
    await expectUnchanged(sb, edited, '4.0.1');
    // put the file back as uphop wrote it, for the hops below
    const text = await readFile(path.join(sb.root, 'etc/beacon/rest-service.yaml'), 'utf8');
    await writeFile(path.join(sb.root, 'etc/beacon/rest-service.yaml'), text.replace('# tuned by the site\n', ''));
  });

  it('--dry-run of a fresh install leaves an empty root empty', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'uphop-dry-empty-'));
    try {
      const r = await cli(['install', bundle('none-to-3.4.2'), '--root', root, '--values', sb.valuesFile, '--allow-unsigned', '--dry-run']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^ {2}main 3\.4\.2\/001-create-core-tables\.mjs$/m);
      expect(r.stdout).toMatch(/^ {2}rest-service \(new\) -> 3\.4\.2/m);
      expect(await readdir(root)).toEqual([]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('--dry-run of a damaged bundle is refused and leaves no temp copy behind', async () => {
    const tmp = await mkdtemp(path.join(tmpdir(), 'uphop-dry-tmp-'));
    try {
      const damaged = path.join(tmp, 'damaged.tar.gz');
      const bytes = await readFile(bundle(HOP));
      bytes[bytes.length >> 1] ^= 0xff;
      await writeFile(damaged, bytes);
      const own = path.join(tmp, 'own');
      await mkdir(own);
      const r = await cli(['install', damaged, '--root', sb.root, '--allow-unsigned', '--dry-run'], { TMPDIR: own });
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/error \[BUNDLE_/);
      expect(await readdir(own)).toEqual([]);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });

  it('--json and --notify on a good hop: the result as data, started -> steps -> succeeded posted', async () => {
    const r = await cli(['install', bundle(HOP), '--root', sb.root, '--allow-unsigned', '--json', '--notify', hook.url]);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res).toMatchObject({ outcome: 'installed', bundle: 'beacon-4.0.1-to-4.1.1', product: 'beacon', from: '4.0.1', to: '4.1.1', message: 'beacon 4.0.1 -> 4.1.1 installed and healthy.' });
    expect(typeof res.ms).toBe('number');
    // the bundle carries an agent package: the rollout step runs last (no agents registered here: nothing to do)
    expect(res.steps.map((s: any) => s.step)).toEqual(['preflight', ...INSTALL_STEPS.map((s) => s.name), 'agent rollout']);
    expect(res.agents).toMatchObject({ outcome: 'nothing-to-do', target: '4.1.1' });
    expect(res.steps.every((s: any) => s.status === 'end')).toBe(true);
    expect(res.configs).toEqual([
      { dest: 'etc/beacon/rest-service.yaml', action: 'written' },
      { dest: 'etc/beacon/worker.yaml', action: 'written' },
    ]);
    // stderr is JSON lines, one event each
    for (const line of r.stderr.trim().split('\n')) expect(JSON.parse(line)).toHaveProperty('type');

    const events = hook.bodies.map((b) => b.event);
    expect(events.at(-1)).toBe('succeeded');
    const started = events.indexOf('started');
    expect(started).toBeGreaterThanOrEqual(0);
    expect(hook.bodies.slice(started + 1, -1).map((b) => b.step)).toEqual(INSTALL_STEPS.map((s) => s.name));
    for (const b of hook.bodies) {
      expect(b).toMatchObject({ contentType: 'application/json', bundle: 'beacon-4.0.1-to-4.1.1', from: '4.0.1', to: '4.1.1' });
      expect(b.text).toMatch(/^uphop beacon-4\.0\.1-to-4\.1\.1: \S/);
    }
    expect(hook.bodies.at(-1).text).toBe('uphop beacon-4.0.1-to-4.1.1: beacon is now 4.1.1');
    expect(await health(sb.restPort)).toMatchObject({ status: 200, body: { version: '4.1.1' } });
  });

  it('uphop rollback right after a completed hop returns to 4.0.1', async () => {
    const r = await cli(['rollback', '--root', sb.root]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('rolled back beacon-4.0.1-to-4.1.1: the manager is on beacon 4.0.1, running and healthy.');
    expect(await health(sb.restPort)).toMatchObject({ status: 200, body: { version: '4.0.1' } });
    expect(await status(sb.root)).toMatchObject({ state: 'installed', version: '4.0.1' });
    expect(await items()).toEqual(['kept through it all']);
  });

  it('--notify on a failing hop: failed, then rolled-back, never succeeded', async () => {
    hook.bodies.length = 0;
    const r = await cli(['install', unhealthy, '--root', sb.root, '--allow-unsigned', '--notify', hook.url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error \[HEALTH_CHECK_FAILED\]: The install failed at step "health checks".*rolled back and beacon 4\.0\.1 is running again and healthy\./);
    const events = hook.bodies.map((b) => b.event);
    expect(events).not.toContain('succeeded');
    expect(events.at(-1)).toBe('rolled-back');
    const failed = hook.bodies.find((b) => b.event === 'failed');
    expect(failed).toMatchObject({ step: 'health checks' });
    expect(failed.text).toMatch(/^uphop beacon-4\.0\.1-to-4\.1\.1: health checks failed: Health check "rest"/);
    expect(hook.bodies.at(-1).text).toMatch(/failed at "health checks" .*; back on 4\.0\.1$/);
    expect(await health(sb.restPort)).toMatchObject({ status: 200, body: { version: '4.0.1' } });
  });

  it('--notify on a refusal: "refused" with the reason, delivered before the CLI exits', async () => {
    hook.bodies.length = 0;
    const r = await cli(['install', bundle('4.1.1-to-4.2.0'), '--root', sb.root, '--allow-unsigned', '--notify', hook.url]);
    expect(r.code).toBe(3);
    expect(hook.bodies.map((b) => b.event)).toEqual(['refused']);
    expect(hook.bodies[0]).toMatchObject({ bundle: 'beacon-4.1.1-to-4.2.0', from: '4.0.1', to: '4.2.0' });
    expect(r.stderr).toContain(hook.bodies[0].message);
    expect(await health(sb.restPort)).toMatchObject({ status: 200, body: { version: '4.0.1' } });
  });

  it('--no-rollback leaves a failing hop interrupted; rollback then returns to 4.0.1', async () => {
    const r = await cli(['install', unhealthy, '--root', sb.root, '--allow-unsigned', '--no-rollback']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error \[HEALTH_CHECK_FAILED\]: .*\(step "health checks"; not rolled back: --no-rollback\)/);
    expect(r.stderr).toContain(`hint: Fix the cause, then run "uphop resume --root ${sb.root}" to finish, or "uphop rollback --root ${sb.root}" to return to 4.0.1.`);
    const st = await status(sb.root);
    expect(st).toMatchObject({ state: 'interrupted', interrupted: { bundle: 'beacon-4.0.1-to-4.1.1', lastStep: 'health checks', rollingBack: false } });
    expect(st.next).toContain(`uphop rollback --root ${sb.root}`);
    const human = await cli(['status', '--root', sb.root]);
    expect(human.stdout).toContain('install of beacon-4.0.1-to-4.1.1 stopped at step "health checks"');

    // stopped on purpose, not crashed: no lock left for rollback to "take over"
    await expect(stat(path.join(sb.root, 'var/lock/uphop.lock'))).rejects.toThrow();
    const back = await cli(['rollback', '--root', sb.root]);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stderr).not.toContain('stale lock');
    expect(await health(sb.restPort)).toMatchObject({ status: 200, body: { version: '4.0.1' } });
    expect(await status(sb.root)).toMatchObject({ state: 'installed', version: '4.0.1' });
    expect(await items()).toEqual(['kept through it all']);
  });

  it('keeps a config the site edited (new one as .new, named in the output); a notify endpoint that refuses is only a warning', async () => {
    const rest = path.join(sb.root, 'etc/beacon/rest-service.yaml');
    const worker = path.join(sb.root, 'etc/beacon/worker.yaml');
    await appendFile(rest, '# raised by ops, ticket 4711\n');
    const edited = await readFile(rest, 'utf8');
    expect(await readFile(worker, 'utf8')).toContain('# Beacon Manager 4.0.1');
    const dead = `http://127.0.0.1:${await freePort()}/nobody-listens`;

    const r = await cli(['install', bundle(HOP), '--root', sb.root, '--allow-unsigned', '--notify', dead]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('note: kept your edited etc/beacon/rest-service.yaml; the new version is etc/beacon/rest-service.yaml.new');
    expect(r.stderr).toMatch(/warning: could not notify 127\.0\.0\.1:\d+ of "started"/);
    expect(await readFile(rest, 'utf8')).toBe(edited);
    const fresh = await readFile(`${rest}.new`, 'utf8');
    expect(fresh).toContain('# Beacon Manager 4.1.1');
    expect(fresh).not.toContain('ticket 4711');
    expect(await readFile(worker, 'utf8')).toContain('# Beacon Manager 4.1.1');
    expect(await health(sb.restPort)).toMatchObject({ status: 200, body: { version: '4.1.1' } });
    // the unhealthy build of this hop was kept before; the one installed now replaced it, leaving nothing aside
    expect((await readdir(path.join(sb.root, 'var/lib/uphop/bundles'))).sort()).toEqual(['beacon-3.4.2-to-4.0.1', `beacon-${HOP}`, 'beacon-none-to-3.4.2']);
  });
});

const kinds: { kind: DbKind; ok: () => Promise<boolean> }[] = [
  { kind: 'sqlite', ok: async () => true },
  { kind: 'pg', ok: () => serviceAvailable('pg') },
];

for (const { kind, ok } of kinds) {
  describe.skipIf(!(await ok()))(`secrets in the values (${kind})`, () => {
    let sb: Sandbox;
    const PASSWORD = `Pw-${kind}-7c1e9b-never-print`;
    const TOKEN = `Tok-${kind}-44d2aa-never-print`;
    beforeAll(async () => {
      sb = await sandbox(kind);
      sb.values.db.connection.password = PASSWORD;
      sb.values.agents.token = TOKEN;
      await writeFile(sb.valuesFile, YAML.stringify(sb.values));
    });
    afterAll(() => sb?.cleanup());

    it('never appear in the output, the journal or state.json; values.yaml is 0600, backups 0700', async () => {
      const runs = [
        await cli(['install', bundle('none-to-3.4.2'), '--root', sb.root, '--values', sb.valuesFile, '--allow-unsigned', '--json', '--verbose']),
        await cli(['install', bundle('3.4.2-to-4.0.1'), '--root', sb.root, '--allow-unsigned', '--verbose']),
        await cli(['install', bundle(HOP), '--root', sb.root, '--allow-unsigned', '--json', '--dry-run']),
        await cli(['status', '--root', sb.root, '--json', '--verbose']),
      ];
      for (const r of runs) {
        expect(r.code, r.stderr).toBe(0);
        for (const secret of [PASSWORD, TOKEN]) expect(r.stdout + r.stderr).not.toContain(secret);
      }
      const lib = path.join(sb.root, 'var/lib/uphop');
      const journals = await readdir(path.join(lib, 'journal'));
      expect(journals.length).toBe(2);
      for (const f of [...journals.map((j) => path.join(lib, 'journal', j)), path.join(lib, 'state.json')]) {
        const text = await readFile(f, 'utf8');
        for (const secret of [PASSWORD, TOKEN]) expect(text).not.toContain(secret);
      }
      // the site's own copy holds them, readable by the owner only
      const values = path.join(sb.root, 'etc/beacon/values.yaml');
      expect(await readFile(values, 'utf8')).toContain(PASSWORD);
      expect((await stat(values)).mode & 0o777).toBe(0o600);
      const backups = path.join(lib, 'backups');
      expect((await stat(backups)).mode & 0o777).toBe(0o700);
      for (const b of await readdir(backups)) expect((await stat(path.join(backups, b))).mode & 0o777).toBe(0o700);
      expect((await stat(path.join(backups, 'beacon-3.4.2-to-4.0.1/configs/etc/beacon/values.yaml'))).mode & 0o777).toBe(0o600);
    });
  });
}
