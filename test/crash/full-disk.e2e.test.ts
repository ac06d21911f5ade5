/**
 * Full disk (issue 8, item 7): the manager root is a small tmpfs, and a ballast
 * file leaves just too little room for one phase of the install: the bundle copy
 * (ballast from the start), the DB backup, staging the packages, writing the configs
 * (ballast written midway, while the installer is stopped). Each time the install
 * refuses (exit 3, before anything changed) or rolls back (exit 1), says in one
 * sentence that the disk is full, where and how much the phase needs, and the
 * manager is healthy on the old version with its data; once room is made, the
 * same install succeeds. Without --ignore-preflight disk the preflight refuses.
 * Needs root (mount); skipped with a message otherwise, a failure on CI.
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statfsSync, statSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, cli, health, sandbox, type CliRun, type Sandbox } from '../helpers/manager.js';
import { unpackedSize } from '../../src/install/disk-full.js';
import { buildTally, type TallyBundles } from './tally.js';
import { dataChanges, killAll, leftovers, processesUnder, serviceOf, snapshot, type Snapshot } from './observe.js';

const MiB = 1024 * 1024;
const PAD = { assetBytes: 2 * MiB, configBytes: 1 * MiB };
const ROWS = 12_000; // about 3 MiB of SQLite

function canMount(): boolean {
  if (process.getuid?.() !== 0) return why('not running as root');
  const probe = path.join('/tmp', `uphop-tmpfs-probe-${process.pid}`);
  mkdirSync(probe, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return why('mount -t tmpfs failed (no CAP_SYS_ADMIN?)');
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}
function why(reason: string): false {
  if (process.env.CI) throw new Error(`the full-disk tests must run on CI, but ${reason}`);
  console.warn(`skipping the full-disk tests: ${reason}; run them as root where mount -t tmpfs works`);
  return false;
}

const free = (dir: string) => {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
};

/** fills `dir`'s file system until `leave` bytes are free */
function ballast(dir: string, leave: number) {
  const file = path.join(dir, 'ballast');
  const fd = openSync(file, 'a');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (let left = free(dir) - leave; left > 0; left -= chunk.length) writeSync(fd, chunk, 0, Math.min(chunk.length, left));
  } finally {
    closeSync(fd);
  }
  return file;
}

/**
 * the install as a real process, stopped (SIGSTOP) as soon as `at` shows from outside (the lock file, or
 * the journal's "end" record of that step), `fill` run while it is stopped, then continued
 */
function installFillingUp(root: string, args: string[], at: string, fill: () => void): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    const lock = path.join(root, 'var', 'lock', 'uphop.lock');
    const journal = path.join(root, 'var', 'lib', 'uphop', 'journal', 'tally-1.0.0-to-1.1.0.jsonl');
    const reached = () => {
      if (at === 'lock') return existsSync(lock);
      try {
        return readFileSync(journal, 'utf8').includes(`"step":"${at}","status":"end"`);
      } catch {
        return false;
      }
    };
    const poll = setInterval(() => {
      if (!reached()) return;
      clearInterval(poll);
      child.kill('SIGSTOP');
      try {
        fill();
      } finally {
        child.kill('SIGCONT');
      }
    }, 1);
    child.on('exit', (code) => {
      clearInterval(poll);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

interface Disk {
  sb: Sandbox;
  before: Snapshot;
  cleanup(): Promise<void>;
}

/** a tally 1.0.0 manager whose root is a fresh 64 MiB tmpfs, with ~3 MiB of rows */
async function managerOnTmpfs(t: TallyBundles): Promise<Disk> {
  const sb = await sandbox('sqlite');
  sb.values.db.connection.filename = 'var/lib/tally/tally.db';
  writeFileSync(sb.valuesFile, YAML.stringify(sb.values));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', sb.root]);
  const cleanup = async () => {
    killAll(processesUnder(sb.root).map((p) => p.pid));
    await sb
      .db()
      .destroy()
      .catch(() => undefined);
    try {
      execFileSync('umount', ['-l', sb.root]);
    } catch {
      /* not mounted */
    }
    await sb.cleanup();
  };
  try {
    const r = await cli(['install', t.fresh, '--root', sb.root, '--values', sb.valuesFile, '--allow-unsigned', '--ignore-preflight', 'disk']);
    if (r.code !== 0) throw new Error(`setup install failed: ${r.stderr}`);
    const rows = Array.from({ length: ROWS }, (_, i) => ({ id: i + 1, body: `row ${i} `.padEnd(200, 'abcdefghij') }));
    for (let i = 0; i < rows.length; i += 500)
      await sb
        .db()('notes')
        .insert(rows.slice(i, i + 500));
    return { sb, before: await snapshot(sb.db()), cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

async function expectHealthyOn(d: Disk, version: string, exactTables: boolean) {
  const st = JSON.parse((await cli(['status', '--root', d.sb.root, '--json'])).stdout);
  expect(st).toMatchObject({ state: 'installed', version });
  expect(await health(d.sb.restPort)).toMatchObject({ status: 200, body: { version } });
  const web = processesUnder(d.sb.root).filter((p) => serviceOf(d.sb.root, p)?.component === 'web');
  expect(web.length, 'one process of the web service').toBe(1);
  expect(dataChanges(d.before, await snapshot(d.sb.db(), d.before), exactTables)).toEqual([]);
  expect(leftovers(d.sb.root)).toEqual([]);
}

const mountable = canMount();

describe.skipIf(!mountable)('an install onto a disk that fills up', () => {
  let t: TallyBundles;
  let sizes: { bundle: number; packages: number; configs: number };
  beforeAll(async () => {
    t = buildTally(PAD);
    const pkg = path.join(t.dir, 'artifacts', 'tally-web-1.1.0.tgz');
    sizes = { bundle: await unpackedSize(t.hop), packages: await unpackedSize(pkg), configs: PAD.configBytes };
  });
  afterAll(() => rmSync(t?.dir ?? '/nonexistent', { recursive: true, force: true }));

  it('is refused at preflight when the file system is far too small (exit 3, nothing changed)', async () => {
    const d = await managerOnTmpfs(t);
    try {
      const r = await cli(['install', t.hop, '--root', d.sb.root, '--allow-unsigned']);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toMatch(/MiB free under .* the install needs about \d+ MiB/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      await expectHealthyOn(d, '1.0.0', true);
    } finally {
      await d.cleanup();
    }
  });

  // The bundle copy: the disk is nearly full from the start (uphop checks the manifest's sizes before it
  // writes, so it refuses up front, BUNDLE_NO_SPACE, or the copy itself runs out, DISK_FULL). The other
  // phases: the disk fills up midway, as when another program writes: the installer is stopped (SIGSTOP)
  // when the journal shows the step before the phase (or the lock appears, for the backup, the first
  // step), a ballast leaves about half of what the phase writes, and the installer goes on (SIGCONT).
  const dbBytes = (d: Disk) => statSync(path.join(d.sb.root, 'var/lib/tally/tally.db')).size;
  const cases: { phase: string; words: RegExp; code: number; at?: string; leave: (d: Disk) => number }[] = [
    { phase: 'the bundle copy', words: /copying the bundle needs about|needs \d+ bytes, but .* has \d+ bytes free/, code: 3, leave: () => sizes.bundle / 2 },
    { phase: 'the DB backup', words: /the database backup needs about/, code: 1, at: 'lock', leave: (d) => sizes.configs + dbBytes(d) / 2 },
    { phase: 'staging packages', words: /staging the packages needs about/, code: 1, at: 'backup', leave: () => sizes.packages / 2 },
    { phase: 'writing configs', words: /writing the configs needs about/, code: 1, at: 'stop services', leave: () => sizes.configs / 2 },
  ];
  for (const c of cases) {
    it(`fills up during ${c.phase}: exit ${c.code}, one sentence, healthy on the old version, then succeeds with room`, async () => {
      const d = await managerOnTmpfs(t);
      try {
        const args = ['install', t.hop, '--root', d.sb.root, '--allow-unsigned', '--ignore-preflight', 'disk'];
        const leave = Math.round(c.leave(d));
        const weight = path.join(d.sb.root, 'ballast');
        const r = c.at ? await installFillingUp(d.sb.root, args, c.at, () => ballast(d.sb.root, leave)) : (ballast(d.sb.root, leave), await cli(args));
        expect(r.code, r.stderr).toBe(c.code);
        const error = r.stderr.split('\n').filter((l) => l.startsWith('error '));
        expect(error, r.stderr).toHaveLength(1);
        expect(error[0]).toMatch(c.words);
        if (!error[0].includes('BUNDLE_NO_SPACE')) {
          expect(error[0]).toMatch(/^error \[DISK_FULL\]: .*The disk is full under \/\S+: /);
          expect(error[0]).toMatch(/needs about [\d.]+ [KM]iB, and [\d.]+ [KM]iB (is|was) free/);
        }
        expect(r.stderr).not.toMatch(/\n\s+at |this is a bug/i);
        rmSync(weight, { force: true });
        await expectHealthyOn(d, '1.0.0', true);
        // nothing was lost on the way: with room again the same install goes through
        const again = await cli(['install', t.hop, '--root', d.sb.root, '--allow-unsigned', '--ignore-preflight', 'disk']);
        expect(again.code, again.stderr).toBe(0);
        await expectHealthyOn(d, '1.1.0', false);
      } finally {
        await d.cleanup();
      }
    });
  }
});
