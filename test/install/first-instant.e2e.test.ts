/**
 * Clean recovery from the first instant: an installer killed before its journal
 * begins (copying, extracting, checking the bundle) changed nothing that matters;
 * `status` says so, `resume` runs it again, and no temporary file is left under
 * the root. Kills mid-install (staging packages, writing configs) leave temp files
 * that resume and rollback recognise by name and remove.
 */
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundle, CLI, cli, health, type Sandbox, sandboxOn401 } from '../helpers/manager.js';
import { rowsDigest, status } from './manager-state.js';

const HOP = '4.0.1-to-4.1.1';
const TEMP = /^\.incoming-|\.tmp-|\.partial(-|$)|^\.trash-|^\.uphop-extract-|\.previous-\d+$|^starting-\d+\.json$/;

/** every temp-looking path under root (not inside releases: product files are theirs) */
async function tempFiles(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(path.join(root, rel), { withFileTypes: true }).catch(() => [])) {
    const p = rel ? `${rel}/${d.name}` : d.name;
    if (TEMP.test(d.name)) out.push(p);
    else if (d.isDirectory() && !/releases\/[^/]+$/.test(p) && !/^var\/lib\/uphop\/bundles\/[^.]/.test(p)) out.push(...(await tempFiles(root, p)));
  }
  return out;
}

/** run the install and SIGKILL it as soon as `seen(root)` holds (polled), or at UPHOP_CRASH_AT */
function killWhen(sb: Sandbox, args: string[], seen: () => Promise<boolean>, env: Record<string, string> = {}): Promise<{ killed: boolean; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'install', bundle(HOP), '--root', sb.root, '--allow-unsigned', ...args], { stdio: 'ignore', env: { ...process.env, ...env } });
    let killed = false;
    let done = false;
    child.once('exit', (code, signal) => {
      done = true;
      resolve({ killed: killed || signal === 'SIGKILL', code });
    });
    void (async () => {
      while (!done) {
        if (await seen().catch(() => false)) {
          killed = child.kill('SIGKILL');
          return;
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
  });
}

const hasEntry = (dir: string, re: RegExp) => async () => (await readdir(dir).catch(() => [] as string[])).some((n) => re.test(n));

describe('an installer killed before its journal begins', () => {
  let sb: Sandbox;
  let rows: string;
  beforeAll(async () => {
    sb = await sandboxOn401({ items: ['untouched'] });
    rows = await rowsDigest(sb);
  });
  afterAll(() => sb?.cleanup());

  const expectNotBegun = async () => {
    const st = await status(sb.root);
    expect(st).toMatchObject({ state: 'installed', version: '4.0.1', healthy: true, notBegun: { bundle: `beacon-${HOP}` } });
    expect(st.interrupted).toBeUndefined();
    expect(st.next).toBe(`uphop resume --root ${sb.root} (runs the install of beacon-${HOP} again)`);
    const human = await cli(['status', '--root', sb.root]);
    expect(human.stdout).toContain(`an install of beacon-${HOP} began`);
    expect(human.stdout).toContain('was interrupted before it changed anything: run it again');
    expect(await rowsDigest(sb)).toBe(rows);
    expect(await health(sb.restPort)).toMatchObject({ status: 200, body: { version: '4.0.1' } });
  };

  const runAgainAndCheck = async (how: 'resume' | 'rerun') => {
    const r = how === 'resume' ? await cli(['resume', '--root', sb.root]) : await cli(['install', bundle(HOP), '--root', sb.root, '--allow-unsigned']);
    expect(r.code, r.stderr).toBe(0);
    expect(await health(sb.restPort)).toMatchObject({ status: 200, body: { version: '4.1.1' } });
    expect(await tempFiles(sb.root)).toEqual([]);
    expect((await status(sb.root)).notBegun).toBeUndefined();
    // back for the next case
    expect((await cli(['rollback', '--root', sb.root])).code).toBe(0);
    rows = await rowsDigest(sb);
  };

  it('while the bundle is extracted (.incoming-* appears): status says so, resume runs it again, no temp file left', async () => {
    const k = await killWhen(sb, [], hasEntry(path.join(sb.root, 'var/lib/uphop/bundles'), /^\.incoming-/));
    expect(k.killed).toBe(true);
    await expectNotBegun();
    await runAgainAndCheck('resume');
  });

  for (const at of ['starting', 'acquired', 'locked']) {
    it(`at "${at}": status says so, a rerun works, no temp file left`, async () => {
      const k = await killWhen(sb, [], async () => false, { UPHOP_CRASH_AT: at });
      expect(k.killed).toBe(true);
      await expectNotBegun();
      await runAgainAndCheck(at === 'acquired' ? 'resume' : 'rerun');
    });
  }
});

describe('temp files of a kill mid-install are removed by resume and rollback', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await sandboxOn401();
  });
  afterAll(() => sb?.cleanup());

  it('a release unpacked halfway (<v>.partial): rollback removes it', async () => {
    const releases = path.join(sb.root, 'opt/beacon/rest-service/releases');
    const k = await killWhen(sb, [], hasEntry(releases, /\.partial$/));
    expect(k.killed).toBe(true);
    expect((await status(sb.root)).state).toBe('interrupted');
    const r = await cli(['rollback', '--root', sb.root]);
    expect(r.code, r.stderr).toBe(0);
    expect(await tempFiles(sb.root)).toEqual([]);
    expect(await health(sb.restPort)).toMatchObject({ status: 200, body: { version: '4.0.1' } });
  });

  it('leftover atomic-write temps (*.tmp-*) in etc, state and links: resume removes them', async () => {
    const k = await killWhen(sb, [], async () => false, { UPHOP_CRASH_AT: 'migrate schema' });
    expect(k.killed).toBe(true);
    // what a kill inside writeFileAtomic / swapSymlink leaves: the temp beside its target
    const { writeFile, symlink } = await import('node:fs/promises');
    await writeFile(path.join(sb.root, 'etc/beacon/.rest-service.yaml.tmp-0a1b2c3d4e5f'), 'half');
    await writeFile(path.join(sb.root, 'var/lib/uphop/.state.json.tmp-0a1b2c3d4e5f'), '{');
    await symlink('releases/4.1.1', path.join(sb.root, 'opt/beacon/worker/current.tmp-0a1b2c3d4e5f'));
    const r = await cli(['resume', '--root', sb.root]);
    expect(r.code, r.stderr).toBe(0);
    expect(await tempFiles(sb.root)).toEqual([]);
    expect(await health(sb.restPort)).toMatchObject({ status: 200, body: { version: '4.1.1' } });
  });
});
