import { execFile } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHealthCheck } from '../../src/drivers/health.js';
import { createServiceDriver, type ServiceSpec } from '../../src/drivers/services/index.js';
import { procInfo } from '../../src/drivers/services/proc.js';
import { CRASHING_SERVICE, HTTP_SERVICE, STUBBORN_SERVICE, readPid, tempDir, waitForFile, writeScript } from './fixtures.js';

const tmp = tempDir('svc');
const root = path.join(tmp.dir, 'root');
const drv = createServiceDriver('process', { root, product: 'beacon' });
const pidFile = (name: string) => path.join(root, 'var/run/beacon', `${name}.pid`);
const logFile = (name: string) => path.join(root, 'var/log/beacon', `${name}.log`);
const started: ServiceSpec[] = [];

const refused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });

let starter: string;
beforeAll(async () => {
  // a separate "installer" process that starts a service and exits: the service must outlive it
  const entry = await writeScript(
    tmp.dir,
    'starter-entry.ts',
    `
    import { createServiceDriver } from ${JSON.stringify(path.resolve('src/drivers/services/index.ts'))};
    const [root, spec] = process.argv.slice(2);
    await createServiceDriver('process', { root, product: 'beacon' }).start(JSON.parse(spec));
  `,
  );
  starter = path.join(tmp.dir, 'starter.mjs');
  await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', outfile: starter, logLevel: 'silent' });
});

afterAll(async () => {
  for (const s of started) await drv.stop(s, { timeoutMs: 2000 }).catch(() => {});
  tmp.cleanup();
});

describe('process service driver', () => {
  it('starts a detached service that outlives the process that started it, then stops it', async () => {
    const portFile = path.join(tmp.dir, 'rest.port');
    const svc: ServiceSpec = { name: 'rest', exec: [process.execPath, await writeScript(tmp.dir, 'rest.mjs', HTTP_SERVICE), portFile, 'beacon ok'], env: { BEACON_MODE: 'test' } };
    started.push(svc);
    await promisify(execFile)(process.execPath, [starter, root, JSON.stringify(svc)]);

    // the starting installer has exited: the service is still there, reparented
    const pid = await readPid(pidFile('rest'));
    expect((await procInfo(pid))?.pgrp).toBe(pid); // its own process group
    expect(await drv.status(svc)).toBe('running');
    const port = Number(await waitForFile(portFile));
    const health = await runHealthCheck({ name: 'rest', http: `http://127.0.0.1:${port}/health`, body: 'beacon ok', timeout: '20s' });
    expect(health.observation).toBe('HTTP 200');

    await drv.start(svc); // already running: a no-op, same process
    expect(await readPid(pidFile('rest'))).toBe(pid);

    await drv.stop(svc, { timeoutMs: 10_000 });
    expect(await drv.status(svc)).toBe('stopped');
    expect(existsSync(pidFile('rest'))).toBe(false);
    expect(await refused(port)).toBe(true);
    const log = await fs.readFile(logFile('rest'), 'utf8');
    expect(log).toContain(`listening on ${port}`);
    expect(log).toContain('got SIGTERM, bye');

    await drv.stop(svc); // stopping a stopped service is fine
  });

  it('kills a service that ignores SIGTERM once the timeout passes', async () => {
    const termFile = path.join(tmp.dir, 'stubborn.term');
    const readyFile = path.join(tmp.dir, 'stubborn.ready');
    const svc: ServiceSpec = { name: 'stubborn', exec: [process.execPath, await writeScript(tmp.dir, 'stubborn.mjs', STUBBORN_SERVICE), termFile, readyFile] };
    started.push(svc);
    await drv.start(svc);
    await waitForFile(readyFile);
    const pid = await readPid(pidFile('stubborn'));

    await drv.stop(svc, { timeoutMs: 500 });
    expect(await fs.readFile(termFile, 'utf8')).toBe('term'); // it was asked politely first
    const info = await procInfo(pid);
    expect(info === null || info.state === 'Z').toBe(true);
    expect(await drv.status(svc)).toBe('stopped');
  });

  it('reports a service that crashes on start with the tail of its log', async () => {
    const svc: ServiceSpec = { name: 'worker', exec: [process.execPath, await writeScript(tmp.dir, 'crash.mjs', CRASHING_SERVICE)] };
    const err = await drv.start(svc).then(
      () => null,
      (e) => e,
    );
    expect(err?.code).toBe('SERVICE_CRASHED');
    expect(err.exitCode).toBe(1);
    expect(err.message).toContain('exited with code 3');
    expect(err.message).toContain('fatal: cannot read /etc/beacon/rest-service.yaml');
    expect(err.hint).toContain(logFile('worker'));
    expect(existsSync(pidFile('worker'))).toBe(false);
    expect(await drv.status(svc)).toBe('stopped');
  });

  it('tells how a running service ended: code or signal for its own child, unknown for one another run started', async () => {
    const svc: ServiceSpec = { name: 'dies', exec: [process.execPath, '-e', "console.log('up'); process.on('SIGTERM', () => { console.log('bye'); process.exit(7); }); setInterval(() => {}, 1000)"] };
    started.push(svc);
    await drv.start(svc);
    expect(await drv.exitOf!(svc)).toBeUndefined();
    process.kill(await readPid(pidFile('dies')), 'SIGTERM');
    const ended = async (d: typeof drv) => {
      for (;;) {
        const x = await d.exitOf!(svc);
        if (x) return x;
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    expect(await ended(drv)).toEqual({ code: 7, signal: null, log: logFile('dies'), tail: expect.arrayContaining(['up', 'bye']) });

    await drv.start(svc);
    const other = createServiceDriver('process', { root, product: 'beacon' });
    process.kill(await readPid(pidFile('dies')), 'SIGKILL');
    expect(await ended(other)).toMatchObject({ code: null, signal: null, log: logFile('dies') });
    expect(await ended(drv)).toMatchObject({ code: null, signal: 'SIGKILL' });
  });

  it('says which executable is missing', async () => {
    const svc: ServiceSpec = { name: 'ghost', exec: [path.join(tmp.dir, 'no-such-binary')] };
    await expect(drv.start(svc)).rejects.toMatchObject({ code: 'SERVICE_START_FAILED', message: expect.stringContaining('no-such-binary was not found') });
  });

  it('treats a pidfile of a dead or recycled process as stale', async () => {
    const svc: ServiceSpec = { name: 'stale', exec: [process.execPath, '-e', 'setInterval(() => {}, 1000)'] };
    await fs.mkdir(path.dirname(pidFile('stale')), { recursive: true });
    // our own pid with another start time: alive, but not the service that wrote the file
    await fs.writeFile(pidFile('stale'), `${process.pid}\n1\n`);
    expect(await drv.status(svc)).toBe('stopped');
    expect(existsSync(pidFile('stale'))).toBe(false);

    await fs.writeFile(pidFile('stale'), '999999999\n12345\n');
    await drv.stop(svc); // no error, nothing to stop
    expect(existsSync(pidFile('stale'))).toBe(false);

    await fs.writeFile(pidFile('stale'), '999999999\n12345\n');
    started.push(svc);
    await drv.start(svc); // a stale pidfile does not block a start
    const pid = await readPid(pidFile('stale'));
    expect(pid).not.toBe(999999999);
    expect(await drv.status(svc)).toBe('running');
    await drv.stop(svc, { timeoutMs: 5000 });
    expect(await drv.status(svc)).toBe('stopped');
  });
});
