/**
 * A way back for a stopped service, and services found by what they are: `status`
 * exits 1 naming `uphop services start` when a service is down, `services start`
 * brings it back with the install's health checks, a foreign process on a service's
 * port is named by pid and port, and `services unit` prints a boot unit. Processes
 * left without a pidfile (a kill between spawn and pidfile) are stopped or adopted
 * by resume and rollback, ending with exactly one process per service.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, readlink, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundle, cli, health, sandbox, type Sandbox, installHops, sandboxOn401 } from '../helpers/manager.js';
import { expectError, status } from './manager-state.js';

const SERVICES = ['rest-service', 'worker'];

/** every live process whose working directory is a release of `component` under root: release version per pid */
async function processesOf(root: string, component: string): Promise<Map<number, string>> {
  const base = path.join(await realpath(root), 'opt/beacon', component, 'releases') + path.sep;
  const out = new Map<number, string>();
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const cwd = await readlink(`/proc/${name}/cwd`).catch(() => '');
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    if (!cwd.startsWith(base) || / Z /.test(stat.slice(stat.lastIndexOf(')')))) continue;
    out.set(Number(name), cwd.slice(base.length).split(path.sep)[0]);
  }
  return out;
}

async function expectOneProcessEach(root: string, version: string) {
  for (const c of SERVICES) {
    const procs = await processesOf(root, c);
    expect([...procs.values()], c).toEqual([version]);
    const pid = Number((await readFile(path.join(root, 'var/run/beacon', `${c}.pid`), 'utf8')).split('\n')[0]);
    expect(procs.has(pid), `${c}: the pidfile names the running process`).toBe(true);
  }
}

const pidOf = async (root: string, svc: string) => Number((await readFile(path.join(root, 'var/run/beacon', `${svc}.pid`), 'utf8')).split('\n')[0]);

describe('uphop services and status exit codes', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await sandbox('sqlite');
    await installHops(sb, [bundle('none-to-3.4.2')]);
  });
  afterAll(() => sb?.cleanup());

  it('status exits 0 when installed and healthy', async () => {
    const r = await cli(['status', '--root', sb.root]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('beacon 3.4.2 under');
    expect(r.stdout).toContain('healthy');
    expect(await status(sb.root)).toMatchObject({ state: 'installed', healthy: true, exitCode: 0 });
  });

  it('a service killed after the install: status exits 1 naming "uphop services start", which brings it back healthy', async () => {
    process.kill(-(await pidOf(sb.root, 'rest-service')), 'SIGKILL');
    const r = await cli(['status', '--root', sb.root]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('service rest-service: stopped');
    expect(r.stdout).toContain(`next: uphop services start --root ${sb.root}`);
    expect(await status(sb.root)).toMatchObject({ state: 'installed', healthy: false, exitCode: 1 });

    const up = await cli(['services', 'start', '--root', sb.root]);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/beacon 3\.4\.2: rest-service, worker running; rest HTTP 200/);
    expect(await health(sb.restPort)).toMatchObject({ status: 200, body: { version: '3.4.2' } });
    const st = await cli(['status', '--root', sb.root]);
    expect(st.code, st.stdout).toBe(0);
    await expectOneProcessEach(sb.root, '3.4.2');
  });

  it('services stop, then restart', async () => {
    const stop = await cli(['services', 'stop', '--root', sb.root]);
    expect(stop.code, stop.stderr).toBe(0);
    expect(await health(sb.restPort)).toMatchObject({ status: 0 });
    for (const c of SERVICES) expect((await processesOf(sb.root, c)).size).toBe(0);
    expect((await cli(['status', '--root', sb.root])).code).toBe(1);
    const before = await cli(['services', 'start', '--root', sb.root]);
    expect(before.code, before.stderr).toBe(0);
    const pid = await pidOf(sb.root, 'rest-service');
    const re = await cli(['services', 'restart', '--root', sb.root]);
    expect(re.code, re.stderr).toBe(0);
    expect(await pidOf(sb.root, 'rest-service')).not.toBe(pid);
    const st = await cli(['status', '--root', sb.root]);
    expect(st.code, st.stdout).toBe(0);
    await expectOneProcessEach(sb.root, '3.4.2');
  });

  it('a foreign process on the service port is named by pid and port', async () => {
    expect((await cli(['services', 'stop', '--root', sb.root])).code).toBe(0);
    let squatter: ChildProcess | undefined;
    try {
      squatter = spawn(process.execPath, ['-e', `require('net').createServer().listen(${sb.restPort}, '127.0.0.1', () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise((resolve) => squatter!.stdout!.once('data', resolve));
      const r = await cli(['services', 'start', '--root', sb.root]);
      expectError(r, 1, 'PORT_IN_USE', `Port ${sb.restPort} is held by pid ${squatter.pid}`, `Stop pid ${squatter.pid}`);
      for (const c of SERVICES) expect((await processesOf(sb.root, c)).size, c).toBe(0);
    } finally {
      squatter?.kill('SIGKILL');
    }
    await new Promise((r) => setTimeout(r, 200));
    const r = await cli(['services', 'start', '--root', sb.root]);
    expect(r.code, r.stderr).toBe(0);
    await expectOneProcessEach(sb.root, '3.4.2');
  });

  it('services unit prints a boot unit running "services start"', async () => {
    const r = await cli(['services', 'unit', '--root', sb.root]);
    expect(r.code, r.stderr).toBe(0);
    const unit = r.stdout;
    expect(unit).toMatch(/^\[Unit\]$/m);
    expect(unit).toMatch(/^\[Service\]$/m);
    expect(unit).toMatch(/^Type=oneshot$/m);
    expect(unit).toMatch(/^RemainAfterExit=yes$/m);
    expect(unit).toContain(`ExecStart=${process.execPath} ${path.resolve('dist/cli/main.js')} services start --root ${sb.root}`);
    expect(unit).toContain(`ExecStop=${process.execPath} ${path.resolve('dist/cli/main.js')} services stop --root ${sb.root}`);
    expect(unit).toMatch(/^WantedBy=multi-user\.target$/m);
    let analyze = '';
    try {
      analyze = execFileSync('sh', ['-c', 'command -v systemd-analyze'], { encoding: 'utf8' }).trim();
    } catch {
      /* not installed: the structure checks above stand */
    }
    if (analyze) {
      const dir = await mkdtemp(path.join(tmpdir(), 'uphop-unit-'));
      try {
        await writeFile(path.join(dir, 'uphop-beacon.service'), unit);
        execFileSync(analyze, ['verify', path.join(dir, 'uphop-beacon.service')], { stdio: 'pipe' });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  });
});

describe('service processes without a pidfile', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await sandboxOn401({ items: ['orphans do not block'] });
  });
  afterAll(() => sb?.cleanup());

  /** the new version's services running, the installer killed and their pidfiles gone (a kill between spawn and pidfile) */
  async function orphanNewServices() {
    const r = await cli(['install', bundle('4.0.1-to-4.1.1'), '--root', sb.root, '--allow-unsigned'], { UPHOP_CRASH_AT: 'health checks' });
    expect(r.code, r.stderr).toBe(137);
    for (const c of SERVICES) await rm(path.join(sb.root, 'var/run/beacon', `${c}.pid`));
    for (const c of SERVICES) expect([...(await processesOf(sb.root, c)).values()]).toEqual(['4.1.1']);
    const st = await status(sb.root);
    expect(st.state).toBe('interrupted');
    for (const s of st.services) {
      expect(s.status).toBe('stopped');
      expect(s.strays).toEqual([{ pid: expect.any(Number), version: '4.1.1' }]);
    }
    expect((await cli(['status', '--root', sb.root])).stdout).toMatch(/service rest-service: pid \d+ \(4\.1\.1\) runs without a pidfile/);
  }

  it('resume adopts the right version and finishes: one process per service', async () => {
    await orphanNewServices();
    const r = await cli(['resume', '--root', sb.root]);
    expect(r.code, r.stderr).toBe(0);
    expect(await health(sb.restPort)).toMatchObject({ status: 200, body: { version: '4.1.1' } });
    await expectOneProcessEach(sb.root, '4.1.1');
    expect((await cli(['status', '--root', sb.root])).code).toBe(0);
  });

  it('rollback stops the strays of the new version and starts the old one: one process per service', async () => {
    expect((await cli(['rollback', '--root', sb.root])).code).toBe(0);
    await orphanNewServices();
    const r = await cli(['rollback', '--root', sb.root]);
    expect(r.code, r.stderr).toBe(0);
    expect(await health(sb.restPort)).toMatchObject({ status: 200, body: { version: '4.0.1' } });
    await expectOneProcessEach(sb.root, '4.0.1');
    expect(await status(sb.root)).toMatchObject({ state: 'installed', version: '4.0.1', healthy: true });
    expect((await sb.db()('items').select('name')).map((x: any) => x.name)).toContain('orphans do not block');
    expect(existsSync(path.join(sb.root, 'var/run/beacon/rest-service.pid'))).toBe(true);
  });
});
