/**
 * Every refusal leaves the manager exactly as it was (files, database rows, the
 * running version) and tells the user, in one sentence and a hint, what is wrong:
 * wrong or older bundle, nothing installed, another install running, drift, a
 * tampered or unsigned bundle, missing or bad values, the bundle's own hook, an
 * unreachable database (without echoing its password).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTimeOf } from '../../src/drivers/services/proc.js';
import { bundle, cli, health, sandbox, type Sandbox, installHops } from '../helpers/manager.js';
import { variant, type Variant } from '../helpers/variant.js';
import { expectError, expectUnchanged, fileTree, rowsDigest, snapshot, status } from './manager-state.js';

const HOP = '4.0.1-to-4.1.1';
const TO_401 = () => [bundle('none-to-3.4.2'), bundle('3.4.2-to-4.0.1')];

let tmp: string;
let v: Variant;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'uphop-refusals-'));
  v = await variant();
});
afterAll(async () => {
  await v?.cleanup();
  await rm(tmp, { recursive: true, force: true });
});

/** a process that is alive until killed, and its start time as the lock file records it */
async function liveProcess() {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await new Promise((r) => child.once('spawn', r));
  const startTime = await startTimeOf(child.pid!);
  const stop = () =>
    new Promise<void>((r) => {
      child.once('exit', () => r());
      child.kill('SIGKILL');
    });
  return { pid: child.pid!, startTime, stop };
}

const writeLock = async (root: string, pid: number, startTime: string, bundleId: string) => {
  await mkdir(path.join(root, 'var', 'lock'), { recursive: true });
  await writeFile(path.join(root, 'var', 'lock', 'uphop.lock'), JSON.stringify({ pid, startTime, host: hostname(), bundle: bundleId, since: new Date().toISOString() }) + '\n');
};

/** flip one byte inside a file's content in the .tar.gz (found by a string it holds) */
async function tamperArchive(src: string, needle: string): Promise<string> {
  const tar = gunzipSync(await readFile(src));
  const at = tar.indexOf(needle);
  expect(at).toBeGreaterThan(0);
  tar[at] ^= 0x20;
  const out = path.join(tmp, `tampered-${path.basename(src)}`);
  await writeFile(out, gzipSync(tar));
  return out;
}

describe('a 4.0.1 manager refuses and stays exactly as it was', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await sandbox('sqlite');
    await installHops(sb, TO_401());
    await sb
      .db()('items')
      .insert([{ name: 'must not move' }, { name: 'nor this' }]);
  });
  afterAll(() => sb?.cleanup());

  const refused = async (args: string[], exit: number, code: string, message: RegExp | string, hint?: RegExp | string) => {
    const before = await snapshot(sb);
    const r = await cli(['install', ...args, '--root', sb.root]);
    expectError(r, exit, code, message, hint);
    await expectUnchanged(sb, before, '4.0.1');
    return r;
  };

  it('a bundle for another installed version: VERSION_MISMATCH', async () => {
    await refused([bundle('4.1.1-to-4.2.0'), '--allow-unsigned'], 3, 'VERSION_MISMATCH', 'This bundle upgrades beacon from 4.1.1, but 4.0.1 is installed.', 'uphop plan --from 4.0.1 --to 4.2.0');
  });

  it('an older version: DOWNGRADE', async () => {
    await refused([bundle('none-to-3.4.2'), '--allow-unsigned', '--values', sb.valuesFile], 3, 'DOWNGRADE', 'would downgrade beacon from 4.0.1 to 3.4.2', 'uphop rollback');
  });

  it('a byte flipped inside a file of the .tar.gz: BUNDLE_FILE_MODIFIED naming the file', async () => {
    const bad = await tamperArchive(bundle(HOP), 'check-disk: only');
    await refused([bad, '--allow-unsigned'], 3, 'BUNDLE_FILE_MODIFIED', /hooks\/check-disk\.sh does not match bundle\.json/, 'Download or copy the bundle again');
  });

  it('a changed file in an extracted bundle folder: BUNDLE_FILE_MODIFIED naming the folder given', async () => {
    const dir = path.join(tmp, 'extracted');
    await mkdir(dir, { recursive: true });
    execFileSync('tar', ['-xzf', bundle(HOP), '-C', dir]);
    const top = path.join(dir, `beacon-${HOP}`);
    await writeFile(path.join(top, 'migrations/4.1.1/002-index-item-slug.mjs'), '\n// sneaked in\n', { flag: 'a' });
    const r = await refused([top, '--allow-unsigned'], 3, 'BUNDLE_FILE_MODIFIED', `${top}: migrations/4.1.1/002-index-item-slug.mjs does not match bundle.json`);
    expect(r.stderr).not.toContain('.incoming-');
  });

  it('an unsigned bundle without --allow-unsigned: BUNDLE_UNSIGNED', async () => {
    await refused([bundle(HOP)], 3, 'BUNDLE_UNSIGNED', 'is not signed', '--allow-unsigned');
  });

  it('a bundle signed by another key than --trust: BUNDLE_BAD_SIGNATURE', async () => {
    for (const k of ['publisher', 'stranger']) expect((await cli(['keygen', '--out', path.join(tmp, k)])).code).toBe(0);
    const out = path.join(tmp, 'signed');
    execFileSync(process.execPath, [path.resolve('dist/cli/main.js'), 'build', path.join(v.dir, 'bundles', HOP), '--out', out, '--sign-key', path.join(tmp, 'publisher', 'uphop-signing.key')], {
      stdio: 'pipe',
    });
    const archive = path.join(out, `beacon-${HOP}.tar.gz`);
    const stranger = path.join(tmp, 'stranger', 'uphop-signing.pub');
    // the detached signature beside the archive is checked first, over the whole file
    await refused([archive, '--trust', stranger], 3, 'BUNDLE_BAD_FILE_SIGNATURE', 'does not verify with the trusted key', 'which key signed them');
    await rm(`${archive}.sig`);
    await refused([archive, '--trust', stranger], 3, 'BUNDLE_BAD_SIGNATURE', 'does not verify with the trusted key', 'which key signed it');
  });

  it('another install holds the lock (a live process): LOCK_HELD naming its pid', async () => {
    const owner = await liveProcess();
    try {
      await writeLock(sb.root, owner.pid, owner.startTime, `beacon-${HOP}`);
      const before = await snapshot(sb);
      const r = await cli(['install', bundle(HOP), '--root', sb.root, '--allow-unsigned']);
      expectError(r, 3, 'LOCK_HELD', `pid ${owner.pid}`, 'Wait for it to finish');
      await expectUnchanged(sb, before, '4.0.1');
      expect(await status(sb.root)).toMatchObject({ state: 'installing', lock: { pid: owner.pid } });
    } finally {
      await owner.stop();
      await rm(path.join(sb.root, 'var', 'lock', 'uphop.lock'), { force: true });
    }
  });

  it("the bundle's preflight hook fails: refused with the hook's message", async () => {
    await v.write('hooks/check-disk.sh', '#!/bin/sh\necho "beacon-check: the support contract expired on 2024-01-31" >&2\nexit 1\n');
    const hooked = v.build(HOP);
    await refused([hooked, '--allow-unsigned'], 3, 'PREFLIGHT_HOOK', /hook hooks\/check-disk\.sh refused: beacon-check: the support contract expired on 2024-01-31/, '--ignore-preflight hook');
  });

  it('a lock left by a dead process is taken over, saying so', async () => {
    const gone = await liveProcess();
    await gone.stop();
    await writeLock(sb.root, gone.pid, gone.startTime, 'beacon-3.4.2-to-4.0.1');
    const r = await cli(['install', bundle(HOP), '--root', sb.root, '--allow-unsigned']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`took over a stale lock left by pid ${gone.pid}`);
    expect(await health(sb.restPort)).toMatchObject({ status: 200, body: { version: '4.1.1' } });
    expect(await status(sb.root)).toMatchObject({ state: 'installed', version: '4.1.1' });
  });

  it('another build of the installed hop is nothing to do, and the kept copy (what rollback uses) stays', async () => {
    const kept = path.join(sb.root, 'var/lib/uphop/bundles', `beacon-${HOP}`, 'bundle.json');
    const before = await readFile(kept, 'utf8');
    const r = await cli(['install', v.build(HOP), '--root', sb.root, '--allow-unsigned']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('beacon 4.1.1 is already installed: nothing to do.');
    expect(await readFile(kept, 'utf8')).toBe(before);
    expect((await readdir(path.dirname(path.dirname(kept)))).sort()).toEqual(['beacon-3.4.2-to-4.0.1', `beacon-${HOP}`, 'beacon-none-to-3.4.2']);
  });

  it('--ignore-preflight hook installs despite the failing hook', async () => {
    const hooked = v.build('4.1.1-to-4.2.0');
    const refusedRun = await cli(['install', hooked, '--root', sb.root, '--allow-unsigned']);
    expectError(refusedRun, 3, 'PREFLIGHT_HOOK', 'support contract expired');
    const r = await cli(['install', hooked, '--root', sb.root, '--allow-unsigned', '--ignore-preflight', 'hook']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('preflight check "hook" skipped');
    expect(await health(sb.restPort)).toMatchObject({ status: 200, body: { version: '4.2.0' } });
  });
});

describe('an empty root stays empty when refused', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'uphop-empty-'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  const refusedOnEmpty = async (args: string[]) => {
    const r = await cli(['install', ...args, '--root', root, '--allow-unsigned']);
    expect(await readdir(root)).toEqual([]);
    return r;
  };

  it('an upgrade bundle: NOT_INSTALLED', async () => {
    const r = await refusedOnEmpty([bundle('3.4.2-to-4.0.1')]);
    expectError(r, 3, 'NOT_INSTALLED', `Nothing is installed under ${root}`, 'fresh-install bundle');
  });

  it('a fresh install without --values: VALUES_REQUIRED (exit 2)', async () => {
    const r = await refusedOnEmpty([bundle('none-to-3.4.2')]);
    expectError(r, 2, 'VALUES_REQUIRED', 'A fresh install needs the site values.', '--values FILE');
  });

  it('a values file with an unknown db.client: VALUES_INVALID naming the field (exit 2)', async () => {
    const file = path.join(tmp, 'oracle.yaml');
    await writeFile(file, 'db:\n  client: oracle\nrest_port: 8080\n');
    const r = await refusedOnEmpty([bundle('none-to-3.4.2'), '--values', file]);
    expectError(r, 2, 'VALUES_INVALID', `1 problem(s) in ${file}`);
    expect(r.stderr).toMatch(/db\.client: db\.client "oracle" is not supported \(fix: use one of sqlite, pg, mysql\)/);
  });

  it('a PostgreSQL on a closed port: DB_UNREACHABLE, without the password', async () => {
    const password = 'Hunter2-do-not-print';
    const file = path.join(tmp, 'closed-pg.yaml');
    const values = { db: { client: 'pg', connection: { host: '127.0.0.1', port: 1, user: 'beacon', password, database: 'beacon' } }, rest_port: 1, worker_port: 2 };
    await writeFile(file, YAML.stringify(values));
    const asUrl = path.join(tmp, 'closed-pg-url.yaml');
    await writeFile(asUrl, YAML.stringify({ ...values, db: { client: 'pg', connection: { url: `postgres://beacon:${password}@127.0.0.1:1/beacon` } } }));
    for (const [values, ...extra] of [[file], [file, '--verbose'], [file, '--json'], [asUrl, '--verbose']]) {
      const r = await refusedOnEmpty([bundle('none-to-3.4.2'), '--values', values, ...extra]);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stdout + r.stderr).not.toContain(password);
      if (extra[0] === '--json') {
        const err = r.stderr
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l))
          .find((e) => e.type === 'error');
        expect(err).toMatchObject({ code: 'DB_UNREACHABLE', exitCode: 3 });
        expect(err.message).toContain('pg beacon@127.0.0.1:1/beacon');
      } else expectError(r, 3, 'DB_UNREACHABLE', 'Cannot reach the database pg beacon@127.0.0.1:1/beacon', 'db.connection');
    }
  });
});

describe('a re-bootstrap over an existing database whose migration file changed', () => {
  let a: Sandbox;
  let b: Sandbox;
  beforeAll(async () => {
    a = await sandbox('sqlite');
    b = await sandbox('sqlite');
  });
  afterAll(async () => {
    await a?.cleanup();
    await b?.cleanup();
  });

  it('is refused with MIGRATION_DRIFT naming the file, and the copy is left alone', async () => {
    await installHops(a, [bundle('none-to-3.4.2')]);
    await a.db()('items').insert({ name: 'from root A' });
    const rel = a.values.db.connection.filename as string;
    await mkdir(path.dirname(path.join(b.root, rel)), { recursive: true });
    // a consistent copy of the live file (the same bytes a cp of a quiet database gives)
    await a.db().raw('VACUUM INTO ?', [path.join(b.root, rel)]);

    const vv = await variant();
    try {
      const file = path.join(vv.dir, 'schema-migrations/3.4.2/001-create-core-tables.mjs');
      await writeFile(file, (await readFile(file, 'utf8')) + '\n// a hotfix made after release\n');
      const drifted = vv.build('none-to-3.4.2');
      const dbFile = async () => (await readFile(path.join(b.root, rel))).toString('base64');
      const before = { files: await fileTree(b.root), rows: await rowsDigest(b), db: await dbFile() };
      const r = await cli(['install', drifted, '--root', b.root, '--values', b.valuesFile, '--allow-unsigned']);
      expectError(r, 3, 'MIGRATION_DRIFT', 'Migration 3.4.2/001-create-core-tables.mjs changed after it was applied', 'never edit an applied migration');
      expect(await fileTree(b.root)).toEqual(before.files);
      expect(await rowsDigest(b)).toBe(before.rows);
      expect(await dbFile()).toBe(before.db);
      expect((await b.db()('items').select('name')).map((x: any) => x.name)).toEqual(['from root A']);
    } finally {
      await vv.cleanup();
    }
  });
});

describe('a second install while one runs', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await sandbox('sqlite');
    await installHops(sb, TO_401());
  });
  afterAll(() => sb?.cleanup());

  it('is refused with LOCK_HELD naming the running pid, and the running one finishes', async () => {
    // the first install waits inside its `pre` migration (lock held, kept bundle in use) until the gate opens
    const gate = path.join(tmp, 'gate');
    const vv = await variant();
    let first: Promise<Awaited<ReturnType<typeof cli>>> | undefined;
    try {
      await vv.write(
        'schema-migrations/4.1.1/000-wait.pre.mjs',
        `
import { existsSync } from 'node:fs';
export async function up() {
  const gate = process.env.UPHOP_TEST_GATE;
  for (let i = 0; gate && !existsSync(gate) && i < 1200; i++) await new Promise((r) => setTimeout(r, 100));
}
export async function down() {}
`,
      );
      const slow = vv.build(HOP);
      first = cli(['install', slow, '--root', sb.root, '--allow-unsigned'], { UPHOP_TEST_GATE: gate });
      let ended = false;
      void first.then(() => (ended = true));
      let st = await status(sb.root);
      while (st.state !== 'installing' && !ended) st = await status(sb.root); // until the first holds the lock
      expect(st.state).toBe('installing');
      const keptManifest = await readFile(path.join(sb.root, 'var/lib/uphop/bundles', `beacon-${HOP}`, 'bundle.json'), 'utf8');

      // the reference build of the same hop: same bundle id, other contents
      const r = await cli(['install', bundle(HOP), '--root', sb.root, '--allow-unsigned']);
      expectError(r, 3, 'LOCK_HELD', `pid ${st.lock.pid}`, 'Wait for it to finish');
      expect(await readFile(path.join(sb.root, 'var/lib/uphop/bundles', `beacon-${HOP}`, 'bundle.json'), 'utf8')).toBe(keptManifest);

      await writeFile(gate, '');
      const done = await first;
      expect(done.code, done.stderr).toBe(0);
      expect(done.stderr).toContain('000-wait.pre.mjs');
      expect(await health(sb.restPort)).toMatchObject({ status: 200, body: { version: '4.1.1' } });
    } finally {
      await writeFile(gate, '');
      await first;
      await vv.cleanup();
    }
  });
});
