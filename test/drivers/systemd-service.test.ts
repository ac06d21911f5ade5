import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServiceDriver } from '../../src/drivers/services/index.js';
import { tempDir } from './fixtures.js';

// this machine has no running systemd: a fake systemctl that keeps unit state in files and logs every call
const FAKE_SYSTEMCTL = `#!/bin/sh
echo "$*" >> "$FAKE_SYSTEMD/calls"
cmd="$1"; shift
[ "$1" = "--quiet" ] && shift
unit="$1"
case "$cmd" in
  start)
    case "$unit" in *missing*) echo "Failed to start $unit: Unit $unit not found." >&2; exit 5;; esac
    case "$unit" in *crashy*) exit 0;; esac
    touch "$FAKE_SYSTEMD/$unit.active";;
  stop) rm -f "$FAKE_SYSTEMD/$unit.active";;
  is-active) [ -f "$FAKE_SYSTEMD/$unit.active" ] || exit 3;;
  show)
    unit="$2"
    if [ -f "$FAKE_SYSTEMD/$unit.active" ]; then echo ActiveState=active; else cat "$FAKE_SYSTEMD/$unit.show" 2>/dev/null || exit 1; fi;;
  *) exit 1;;
esac
`;

const tmp = tempDir('systemd');
const bin = path.join(tmp.dir, 'bin');
const calls = () => readFileSync(path.join(tmp.dir, 'calls'), 'utf8').trim().split('\n');
const savedPath = process.env.PATH;

beforeAll(async () => {
  await fs.mkdir(bin);
  await fs.writeFile(path.join(bin, 'systemctl'), FAKE_SYSTEMCTL, { mode: 0o755 });
  process.env.FAKE_SYSTEMD = tmp.dir;
  process.env.PATH = `${bin}:${savedPath}`;
});
afterAll(() => {
  process.env.PATH = savedPath;
  tmp.cleanup();
});

describe('systemd service driver', () => {
  it('starts, reports and stops units through systemctl found on PATH', async () => {
    const drv = createServiceDriver('systemd', { root: '/', product: 'beacon' });
    const svc = { name: 'rest-service', exec: ['/unused'] };
    expect(await drv.status(svc)).toBe('stopped');
    await drv.start(svc);
    expect(await drv.status(svc)).toBe('running');
    await drv.stop(svc, { timeoutMs: 5000 });
    expect(await drv.status(svc)).toBe('stopped');
    expect(calls()).toEqual([
      'is-active --quiet beacon-rest-service',
      'start beacon-rest-service',
      'is-active --quiet beacon-rest-service',
      'is-active --quiet beacon-rest-service',
      'stop beacon-rest-service',
      'is-active --quiet beacon-rest-service',
    ]);
  });

  it('uses the unit of the spec and an explicit systemctl path, and reports failures', async () => {
    process.env.PATH = savedPath; // the explicit path must not need PATH
    try {
      await explicitPathCase();
    } finally {
      process.env.PATH = `${bin}:${savedPath}`;
    }
  });

  async function explicitPathCase() {
    const drv = createServiceDriver('systemd', { root: '/', product: 'beacon', systemctl: path.join(bin, 'systemctl') });
    await drv.start({ name: 'worker', exec: [], unit: 'beacon-worker@blue.service' });
    expect(calls()).toContain('start beacon-worker@blue.service');

    const missing = await drv.start({ name: 'x', exec: [], unit: 'missing.service' }).catch((e) => e);
    expect(missing.code).toBe('SERVICE_START_FAILED');
    expect(missing.message).toContain('Unit missing.service not found');

    const crashy = await drv.start({ name: 'agent', exec: [], unit: 'crashy.service' }).catch((e) => e);
    expect(crashy.code).toBe('SERVICE_CRASHED');
    expect(crashy.hint).toContain('journalctl -u crashy.service');
  }

  it('tells a unit that failed (code or signal) from one that waits for its restart', async () => {
    const drv = createServiceDriver('systemd', { root: '/', product: 'beacon' });
    const svc = { name: 'api', exec: [] };
    const state = (text: string) => fs.writeFile(path.join(tmp.dir, 'beacon-api.show'), text);
    await drv.start(svc);
    expect(await drv.exitOf!(svc)).toBeUndefined();
    await fs.rm(path.join(tmp.dir, 'beacon-api.active'));
    await state('ActiveState=activating\nExecMainCode=1\nExecMainStatus=1\n'); // Restart= will bring it back
    expect(await drv.exitOf!(svc)).toBeUndefined();
    await state('ActiveState=failed\nExecMainCode=1\nExecMainStatus=3\n');
    expect(await drv.exitOf!(svc)).toEqual({ code: 3, signal: null, log: 'journalctl -u beacon-api', tail: [] });
    await state('ActiveState=failed\nExecMainCode=2\nExecMainStatus=9\n');
    expect(await drv.exitOf!(svc)).toMatchObject({ code: null, signal: 'SIGKILL' });
    await fs.rm(path.join(tmp.dir, 'beacon-api.show')); // systemctl show failed: cannot tell, not "ended"
    expect(await drv.exitOf!(svc)).toBeUndefined();
  });

  it('refuses an unknown driver kind', () => {
    expect(() => createServiceDriver('upstart' as never, { root: '/', product: 'beacon' })).toThrow(/no service driver "upstart"/);
  });
});
