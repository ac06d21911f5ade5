/**
 * Rehearsal of a product nobody here wrote, made with `uphop init` outside the
 * repository: no database at all, and its port in a values key named `listen`
 * (not …port, so the copy's port is not moved by the rule). Without `--port-key`
 * the copy's health check would probe the live service, so the rehearsal refuses
 * before starting anything (exit 3, naming the key to pass); with it the copy runs
 * on a free port and passes. The live manager answers and its files stay the same.
 * A rehearsal interrupted while its copy runs (Ctrl-C) removes the copy itself; one
 * killed with -9 leaves it, and the next rehearsal removes it.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, readlink, rm, writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, freePort, stopServices } from '../helpers/manager.js';
import { runIn } from '../helpers/stranger.js';

let base: string;
let project: string;
let root: string;
let port: number;

async function edit(file: string, change: (text: string) => string): Promise<void> {
  await writeFile(file, change(await readFile(file, 'utf8')));
}

/** sha256 of every file under root but the reports a rehearsal adds */
async function hashes(dir: string, rel = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(path.join(dir, rel), { withFileTypes: true })) {
    const p = path.join(rel, e.name);
    if (p.startsWith('var/lib/uphop/reports') || p.startsWith('var/log')) continue;
    if (e.isDirectory()) Object.assign(out, await hashes(dir, p));
    else if (e.isFile())
      out[p] = createHash('sha256')
        .update(await readFile(path.join(dir, p)))
        .digest('hex');
  }
  return out;
}

const liveVersion = async () => ((await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { version: string }).version;

beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'uphop-rehearse-stranger-'));
  expect((await runIn(base, ['init', 'shop', '--product', 'shop'])).code).toBe(0);
  project = path.join(base, 'shop');
  expect((await runIn(project, ['init', '--hop', '1.0.0', '1.1.0'])).code).toBe(0);
  // its own naming: the port is `listen`; and no database, no migrations
  for (const f of ['templates/shop.conf.tmpl', 'bundles/none-to-1.0.0/bundle.yaml', 'bundles/1.0.0-to-1.1.0/bundle.yaml']) {
    await edit(path.join(project, f), (t) =>
      t
        .replaceAll('${http_port}', '${listen}')
        .replace(/^db: \$\{db\}\n/m, '')
        .replace(/^migrations:.*\n/m, ''),
    );
  }
  await rm(path.join(project, 'schema-migrations'), { recursive: true });
  port = await freePort();
  await writeFile(path.join(project, 'templates/values.sample.yaml'), YAML.stringify({ listen: 8080, services: { driver: 'process' } }));
  await writeFile(path.join(project, 'site.yaml'), YAML.stringify({ listen: port, services: { driver: 'process' } }));
  const built = await runIn(project, ['build', '--all', '--out', 'out']);
  expect(built.code, built.stderr).toBe(0);
  root = path.join(base, 'manager');
  const inst = await runIn(project, ['install', 'out/shop-none-to-1.0.0.tar.gz', '--root', root, '--values', 'site.yaml', '--allow-unsigned']);
  expect(inst.code, inst.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  if (root) await stopServices(root);
  await rm(base, { recursive: true, force: true });
});

describe('rehearse a product whose port key is not named …port, with no database', () => {
  it('refuses before starting anything when the copy would probe the live service, and names the key to pass', async () => {
    const before = await hashes(root);
    const r = await runIn(project, ['rehearse', 'out/shop-1.0.0-to-1.1.0.tar.gz', '--root', root, '--allow-unsigned']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/REHEARSE_SHARED_PORT/);
    expect(r.stderr).toContain(`127.0.0.1:${port}`);
    expect(r.stderr).toContain('--port-key listen');
    expect(r.stderr).not.toMatch(/stop pid|uphop resume/i);
    expect(await liveVersion()).toBe('1.0.0');
    expect(await hashes(root)).toEqual(before);
  });

  it('refuses a --port-key that names no port (exit 2)', async () => {
    const r = await runIn(project, ['rehearse', 'out/shop-1.0.0-to-1.1.0.tar.gz', '--root', root, '--allow-unsigned', '--port-key', 'listne']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/PORT_KEY_INVALID.*listne/);
  });

  it('with --port-key listen: the copy runs on a free port and passes; the live manager is as it was', async () => {
    const before = await hashes(root);
    const r = await runIn(project, ['rehearse', 'out/shop-1.0.0-to-1.1.0.tar.gz', '--root', root, '--allow-unsigned', '--port-key', 'listen', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res).toMatchObject({ outcome: 'passed', from: '1.0.0', to: '1.1.0', copy: { database: expect.stringMatching(/^none/) } });
    expect(res.ports).toEqual([{ key: 'listen', from: port, to: expect.any(Number) }]);
    expect(res.ports[0].to).not.toBe(port);
    expect(res.outage.url).toContain(`:${res.ports[0].to}/`);
    expect(await liveVersion()).toBe('1.0.0');
    expect(await hashes(root)).toEqual(before);
  });
});

/** pids of the processes whose working directory lies under dir (the copy's services) */
async function processesUnder(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const cwd = await readlink(`/proc/${name}/cwd`).catch(() => '');
    if (cwd.startsWith(dir + '/')) pids.push(Number(name));
  }
  return pids;
}

const REHEARSE = ['rehearse', 'out/shop-1.0.0-to-1.1.0.tar.gz', '--allow-unsigned', '--port-key', 'listen'];

/** a run of the CLI whose sandbox or copy lies under work, signalled once its services run there */
async function interruptWhenCopyRuns(work: string, signal: NodeJS.Signals, args = [...REHEARSE, '--root', root, '--work', work]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: project, env: { ...process.env, TMPDIR: work } });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  for (let i = 0; i < 1500 && child.exitCode === null; i++) {
    if ((await processesUnder(work)).length) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  expect((await processesUnder(work)).length, `the copy's services never ran: ${stderr}`).toBeGreaterThan(0);
  child.kill(signal);
  return { code: await exited, stderr };
}

describe('an interrupted rehearsal leaves nothing running', () => {
  it("Ctrl-C: the rehearsal kills the copy's services and removes its folder before it exits", async () => {
    const work = path.join(base, 'work-int');
    await mkdir(work);
    const r = await interruptWhenCopyRuns(work, 'SIGINT');
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/REHEARSAL_INTERRUPTED/);
    expect(await processesUnder(work)).toEqual([]);
    expect(await readdir(work)).toEqual([]);
    expect(await liveVersion()).toBe('1.0.0');
  });

  it('kill -9: the copy is left running, and the next rehearsal removes it first', async () => {
    const work = path.join(base, 'work-kill');
    await mkdir(work);
    const r = await interruptWhenCopyRuns(work, 'SIGKILL');
    expect(r.code).toBe(null);
    const [left] = await readdir(work);
    expect(left).toMatch(/^uphop-rehearsal-/);
    expect((await processesUnder(work)).length).toBeGreaterThan(0);
    const again = await runIn(project, ['rehearse', 'out/shop-1.0.0-to-1.1.0.tar.gz', '--root', root, '--allow-unsigned', '--port-key', 'listen', '--work', work]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/removed the copy left by an interrupted rehearsal/);
    expect(existsSync(path.join(work, left))).toBe(false);
    expect(await processesUnder(work)).toEqual([]);
    expect(await liveVersion()).toBe('1.0.0');
  });

  it('test-path, Ctrl-C (or a cancelled CI job): the sandbox services are killed and the sandbox removed', async () => {
    const work = path.join(base, 'work-test-path');
    await mkdir(work);
    const r = await interruptWhenCopyRuns(work, 'SIGTERM', [
      'test-path',
      '--from',
      '1.0.0',
      '--to',
      '1.1.0',
      '--bundles',
      'out',
      '--values',
      'site.yaml',
      '--port-key',
      'listen',
      '--allow-unsigned',
      '--reports',
      path.join(work, 'reports'),
    ]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/TEST_PATH_INTERRUPTED/);
    expect(await processesUnder(work)).toEqual([]);
    expect((await readdir(work)).filter((f) => f.startsWith('uphop-test-path-'))).toEqual([]);
  });
});
