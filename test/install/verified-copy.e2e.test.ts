/**
 * Nothing runs from state that was not just checked (issue 9 item 5), with the
 * built CLI on a real sandbox manager:
 * - `install DIR` and `install DIR --dry-run` run the preflight hook from the
 *   verified copy: the folder's hook is swapped for a hostile one the moment
 *   verification ends (the process is stopped on its last verify event, the file
 *   replaced, the process continued), and the hostile one never runs;
 * - a kept copy (var/lib/uphop/bundles/<id>) changed on disk is refused (exit 3,
 *   naming the file) by install, agents rollout, rollback and resume before they use it.
 */
import { execFileSync, spawn } from 'node:child_process';
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundle, CLI, cli, sandbox, type Sandbox } from '../helpers/manager.js';

let tmp: string;
let sb: Sandbox;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'uphop-verified-copy-'));
  sb = await sandbox('sqlite');
});
afterAll(async () => {
  await sb?.cleanup();
  await rm(tmp, { recursive: true, force: true });
});

const HOOK = 'hooks/check-disk.sh';

/** extract an archive as an operator would, returning the bundle folder */
async function extracted(hop: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmp, 'src-'));
  execFileSync('tar', ['-xzf', bundle(hop), '-C', dir]);
  return path.join(dir, `beacon-${hop}`);
}

/**
 * runs `uphop install DIR ...`; when the last file has been verified, stops the
 * process, swaps DIR's preflight hook for one that writes `mark`, and continues it
 */
function installSwappingHook(dir: string, mark: string, extra: string[]): Promise<{ code: number | null; stderr: string; swapped: boolean }> {
  const child = spawn(process.execPath, [CLI, 'install', dir, '--root', sb.root, '--values', sb.valuesFile, '--allow-unsigned', '--json', ...extra], { env: { ...process.env, EVIL_MARK: mark } });
  let stderr = '';
  let swapped = false;
  child.stdout.resume();
  createInterface({ input: child.stderr }).on('line', (line) => {
    stderr += line + '\n';
    if (swapped || !line.startsWith('{')) return;
    const e = JSON.parse(line);
    if (e.type !== 'progress' || e.task !== 'verify' || e.done !== e.total) return;
    child.kill('SIGSTOP');
    swapped = true;
    execFileSync('sh', ['-c', `printf '#!/bin/sh\\necho swapped > "$EVIL_MARK"\\n' > "$1" && chmod 755 "$1"`, 'sh', path.join(dir, HOOK)]);
    child.kill('SIGCONT');
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr, swapped })));
}

describe('a folder install runs hooks only from the verified copy', () => {
  it('--dry-run: the hook swapped right after verification does not run', async () => {
    const mark = path.join(tmp, 'dry-ran-swapped-hook');
    const r = await installSwappingHook(await extracted('none-to-3.4.2'), mark, ['--dry-run']);
    expect(r.swapped, r.stderr).toBe(true);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(mark)).toBe(false);
    expect(existsSync(path.join(sb.root, 'var'))).toBe(false);
  }, 120_000);

  it('install: the same swap does not reach the hook the install runs', async () => {
    const mark = path.join(tmp, 'ran-swapped-hook');
    const r = await installSwappingHook(await extracted('none-to-3.4.2'), mark, []);
    expect(r.swapped, r.stderr).toBe(true);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(mark)).toBe(false);
  }, 120_000);
});

describe('a kept copy changed on disk is not reused', () => {
  const ID = 'beacon-3.4.2-to-4.0.1';
  beforeAll(async () => {
    const r = await cli(['install', bundle('3.4.2-to-4.0.1'), '--root', sb.root, '--allow-unsigned', '--no-agents']);
    expect(r.code, r.stderr).toBe(0);
    // what an attacker or a broken disk could leave: one byte more in a file the kept copy lists
    await appendFile(path.join(sb.root, 'var/lib/uphop/bundles', ID, HOOK), '\n');
  }, 180_000);

  const refused = (r: { code: number; stderr: string }) => {
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain('KEPT_COPY_MODIFIED');
    expect(r.stderr).toContain(HOOK);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  };

  it('by install of the same bundle', async () => {
    refused(await cli(['install', bundle('3.4.2-to-4.0.1'), '--root', sb.root, '--allow-unsigned']));
  }, 60_000);

  it('by agents rollout, before it serves the package', async () => {
    refused(await cli(['agents', 'rollout', '--root', sb.root]));
  }, 60_000);

  it('by rollback of the last hop, before it undoes anything', async () => {
    refused(await cli(['rollback', '--root', sb.root]));
    const st = await cli(['status', '--root', sb.root, '--json']);
    expect(st.stdout).toContain('4.0.1');
  }, 60_000);
});

describe('resume of an interrupted install', () => {
  it('refuses a kept copy changed while the installer was down, before it runs a step', async () => {
    const HOP = '4.0.1-to-4.1.1';
    const killed = await cli(['install', bundle(HOP), '--root', sb.root, '--allow-unsigned', '--no-agents'], { UPHOP_CRASH_AT: 'stage packages' });
    expect(killed.code, killed.stderr).toBe(137);
    await appendFile(path.join(sb.root, 'var/lib/uphop/bundles', `beacon-${HOP}`, HOOK), '\n');
    const r = await cli(['resume', '--root', sb.root]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain('KEPT_COPY_MODIFIED');
    expect(r.stderr).toContain(HOOK);
    const st = JSON.parse((await cli(['status', '--root', sb.root, '--json'])).stdout);
    expect(st).toMatchObject({ state: 'interrupted', interrupted: { bundle: `beacon-${HOP}`, lastStep: 'stage packages' } });
  }, 120_000);
});

describe('a signed install', () => {
  it("agents rollout re-checks the kept manifest's signature with the key the install was given", async () => {
    const own = await sandbox('sqlite');
    try {
      const keys = path.join(tmp, 'keys');
      expect((await cli(['keygen', '--out', keys])).code).toBe(0);
      const out = path.join(tmp, 'signed');
      const b = await cli(['build', 'bundles/none-to-3.4.2', '--out', out, '--sign-key', path.join(keys, 'uphop-signing.key')]);
      expect(b.code, b.stderr).toBe(0);
      const pub = path.join(keys, 'uphop-signing.pub');
      const r = await cli(['install', path.join(out, 'beacon-none-to-3.4.2.tar.gz'), '--root', own.root, '--values', own.valuesFile, '--trust', pub, '--no-agents']);
      expect(r.code, r.stderr).toBe(0);
      // every file still matches this manifest, but it is no longer the one that was signed
      const manifest = path.join(own.root, 'var/lib/uphop/bundles/beacon-none-to-3.4.2/bundle.json');
      await appendFile(manifest, ' ');
      const a = await cli(['agents', 'rollout', '--root', own.root]);
      expect(a.code, a.stderr).toBe(3);
      expect(a.stderr).toContain('KEPT_COPY_MODIFIED');
      expect(a.stderr).toMatch(/signature of bundle\.json does not verify/);
    } finally {
      await own.cleanup();
    }
  }, 180_000);
});
