/**
 * `uphop build / verify / inspect / keygen` as a release engineer runs them, and
 * the bundle as a customer receives it: extracted anywhere, ./install.sh with
 * nothing but node (no NODE_PATH, no node_modules near it).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundle, cli, health, sandbox } from '../helpers/manager.js';

const sha = async (f: string) =>
  createHash('sha256')
    .update(await readFile(f))
    .digest('hex');
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'uphop-build-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

const build = (out: string, epoch: string, extra: string[] = []) => cli(['build', 'bundles/4.0.1-to-4.1.1', '--out', out, '--json', ...extra], { SOURCE_DATE_EPOCH: epoch });

describe('uphop build', () => {
  it('is reproducible: same inputs and SOURCE_DATE_EPOCH give the same bytes, another epoch others', async () => {
    const [a, b, c] = [path.join(tmp, 'a'), path.join(tmp, 'b'), path.join(tmp, 'c')];
    const ra = await build(a, '1700000000');
    expect(ra.code, ra.stderr).toBe(0);
    const res = JSON.parse(ra.stdout).bundles[0];
    expect(res).toMatchObject({ id: 'beacon-4.0.1-to-4.1.1', signed: false, reproducible: true });
    expect(await sha(res.path)).toBe(res.sha256);
    expect((await build(b, '1700000000')).code).toBe(0);
    expect((await build(c, '1700000999')).code).toBe(0);
    const file = 'beacon-4.0.1-to-4.1.1.tar.gz';
    expect(await sha(path.join(b, file))).toBe(res.sha256);
    expect(await sha(path.join(c, file))).not.toBe(res.sha256);
  });

  it('lays the bundle out as DESIGN.md says, bundle.json first', async () => {
    const list = execFileSync('tar', ['-tzf', bundle('4.0.1-to-4.1.1')], { encoding: 'utf8' })
      .trim()
      .split('\n');
    const files = list.filter((l) => !l.endsWith('/'));
    expect(files[0]).toBe('beacon-4.0.1-to-4.1.1/bundle.json');
    for (const p of [
      'install.sh',
      'installer/uphop-installer.cjs',
      'installer/better_sqlite3.node',
      'components/beacon-rest-4.1.1.tgz',
      'configs/rest-service.yaml.tmpl',
      'migrations/4.1.1/001-add-item-slug.pre.mjs',
      'hooks/check-disk.sh',
      'agents/beacon-agent-4.1.1.tgz',
    ]) {
      expect(files).toContain(`beacon-4.0.1-to-4.1.1/${p}`);
    }
  });

  it('refuses a broken spec with every problem named, exit 2, no stack trace', async () => {
    const proj = path.join(tmp, 'broken');
    await cp('bundles/4.0.1-to-4.1.1', path.join(proj, 'bundles', 'x'), { recursive: true });
    await cp('templates', path.join(proj, 'templates'), { recursive: true });
    const spec = (await readFile(path.join(proj, 'bundles/x/bundle.yaml'), 'utf8')).replace('to: 4.1.1', 'to: 4.0.0\nflavour: extra');
    await writeFile(path.join(proj, 'bundles/x/bundle.yaml'), spec);
    const r = await cli(['build', path.join(proj, 'bundles/x'), '--out', path.join(tmp, 'never')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/SPEC_INVALID/);
    expect(r.stderr).toMatch(/flavour/);
    expect(r.stderr).toMatch(/\bto\b.*4\.0\.0/);
    expect(r.stderr).toMatch(/migrations/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('signing', () => {
  it('keygen + build --sign-key: verify --trust accepts it, another key or no key is refused', async () => {
    const keys = path.join(tmp, 'keys');
    const other = path.join(tmp, 'other');
    expect((await cli(['keygen', '--out', keys])).code).toBe(0);
    expect((await cli(['keygen', '--out', other])).code).toBe(0);
    const again = await cli(['keygen', '--out', keys]);
    expect(again.code).toBe(2);
    const out = path.join(tmp, 'signed');
    expect((await build(out, '1700000000', ['--sign-key', path.join(keys, 'uphop-signing.key')])).code).toBe(0);
    const file = path.join(out, 'beacon-4.0.1-to-4.1.1.tar.gz');
    const ok = await cli(['verify', file, '--trust', path.join(keys, 'uphop-signing.pub'), '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, signed: true });
    const wrong = await cli(['verify', file, '--trust', path.join(other, 'uphop-signing.pub')]);
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toContain('BUNDLE_BAD_FILE_SIGNATURE'); // the .sig beside it is checked first
    const none = await cli(['verify', file]);
    expect(none.code).toBe(3);
    expect(none.stderr).toContain('--trust');
    const insp = JSON.parse((await cli(['inspect', file, '--json'])).stdout);
    expect(insp).toMatchObject({ from: '4.0.1', to: '4.1.1', signer: expect.stringMatching(/^ed25519:/) });
  });

  it('an unsigned bundle is refused unless --allow-unsigned', async () => {
    const r = await cli(['verify', bundle('4.0.1-to-4.1.1')]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('BUNDLE_UNSIGNED');
    expect((await cli(['verify', bundle('4.0.1-to-4.1.1'), '--allow-unsigned'])).code).toBe(0);
  });

  it('a changed byte is refused with the path it hit', async () => {
    const bad = path.join(tmp, 'tampered.tar.gz');
    const gz = await readFile(bundle('4.0.1-to-4.1.1'));
    const raw = (await import('node:zlib')).gunzipSync(gz);
    const at = raw.indexOf(Buffer.from('REST service configuration'));
    raw[at] ^= 1; // inside configs/rest-service.yaml.tmpl
    await writeFile(bad, (await import('node:zlib')).gzipSync(raw));
    const r = await cli(['verify', bad, '--allow-unsigned']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/BUNDLE_FILE_MODIFIED.*configs\/rest-service\.yaml\.tmpl/);
  });
});

describe('the bundle on an air-gapped manager', () => {
  it('extracted outside the repo, ./install.sh installs with only node (NODE_PATH unset)', async () => {
    const sb = await sandbox('sqlite');
    const where = await mkdtemp(path.join(tmpdir(), 'uphop-airgap-'));
    try {
      execFileSync('tar', ['-xzf', bundle('none-to-3.4.2'), '-C', where]);
      const dir = path.join(where, 'beacon-none-to-3.4.2');
      const env = { ...process.env, NODE_PATH: '' };
      delete (env as Record<string, string | undefined>).NODE_PATH;
      const out = execFileSync(path.join(dir, 'install.sh'), ['--root', sb.root, '--values', sb.valuesFile, '--allow-unsigned'], { cwd: where, env, encoding: 'utf8', stdio: 'pipe' });
      expect(out).toContain('installed and healthy');
      expect(await health(sb.restPort)).toMatchObject({ status: 200, body: { version: '3.4.2' } });
      const st = execFileSync(path.join(dir, 'install.sh'), ['status', '--root', sb.root], { cwd: where, env, encoding: 'utf8', stdio: 'pipe' });
      expect(st).toContain('beacon 3.4.2');
    } finally {
      await sb.cleanup();
      await rm(where, { recursive: true, force: true });
    }
  });
});
