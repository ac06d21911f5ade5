/**
 * The detached `<bundle>.tar.gz.sig` as a customer meets it: keygen + build
 * --sign-key write it, the README's OpenSSL command checks it on a manager before
 * anything is extracted, and `uphop install <archive> --trust` refuses an archive
 * whose .sig does not match (exit 3) before it unpacks a byte.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFile, copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, sandbox, type Sandbox } from '../helpers/manager.js';

let tmp: string;
let sb: Sandbox;
let keys: string;
let archive: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'uphop-file-sig-e2e-'));
  sb = await sandbox('sqlite');
  keys = path.join(tmp, 'keys');
  expect((await cli(['keygen', '--out', keys])).code).toBe(0);
  const b = await cli(['build', 'bundles/none-to-3.4.2', '--out', path.join(tmp, 'out'), '--sign-key', path.join(keys, 'uphop-signing.key'), '--json'], { SOURCE_DATE_EPOCH: '1700000000' });
  expect(b.code, b.stderr).toBe(0);
  const built = JSON.parse(b.stdout).bundles[0];
  archive = built.path;
  expect(built.sig).toBe(`${archive}.sig`);
}, 120_000);
afterAll(async () => {
  await sb?.cleanup();
  await rm(tmp, { recursive: true, force: true });
});

const openssl = (file: string, pub = path.join(keys, 'uphop-signing.pub')) =>
  spawnSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', pub, '-rawin', '-in', file, '-sigfile', `${file}.sig`], { encoding: 'utf8' });

describe('<bundle>.tar.gz.sig', () => {
  it('is checked by the README command with the key file keygen wrote; a changed archive fails it', async () => {
    const ok = openssl(archive);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('Signature Verified Successfully');
    const bad = path.join(tmp, 'bad', path.basename(archive));
    await rm(path.dirname(bad), { recursive: true, force: true });
    execFileSync('mkdir', ['-p', path.dirname(bad)]);
    await copyFile(archive, bad);
    await copyFile(`${archive}.sig`, `${bad}.sig`);
    await appendFile(bad, Buffer.alloc(512)); // trailing zeros: most tar readers would not notice
    expect(openssl(bad).status).not.toBe(0);
    // uphop verify checks the same .sig first
    const pub = path.join(keys, 'uphop-signing.pub');
    const good = await cli(['verify', archive, '--trust', pub, '--json']);
    expect(good.code, good.stderr).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ ok: true, fileSignature: true });
    const refused = await cli(['verify', bad, '--trust', pub]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('BUNDLE_BAD_FILE_SIGNATURE');
  });

  it('is the same bytes for the same build (reproducible), and a rebuild without a key removes it', async () => {
    const again = path.join(tmp, 'again');
    const b = await cli(['build', 'bundles/none-to-3.4.2', '--out', again, '--sign-key', path.join(keys, 'uphop-signing.key'), '--json'], { SOURCE_DATE_EPOCH: '1700000000' });
    expect(b.code, b.stderr).toBe(0);
    const sigOf = (f: string) => execFileSync('sha256sum', [f], { encoding: 'utf8' }).split(' ')[0];
    expect(sigOf(path.join(again, path.basename(archive)) + '.sig')).toBe(sigOf(`${archive}.sig`));
    expect((await cli(['build', 'bundles/none-to-3.4.2', '--out', again])).code).toBe(0);
    expect(existsSync(path.join(again, path.basename(archive)) + '.sig')).toBe(false);
  }, 120_000);

  it('uphop install --trust refuses an archive its .sig does not match (exit 3), before unpacking anything', async () => {
    const dir = path.join(tmp, 'tampered');
    execFileSync('mkdir', ['-p', dir]);
    const bad = path.join(dir, path.basename(archive));
    await copyFile(archive, bad);
    await copyFile(`${archive}.sig`, `${bad}.sig`);
    await appendFile(bad, Buffer.alloc(512));
    const pub = path.join(keys, 'uphop-signing.pub');
    for (const extra of [['--dry-run'], []]) {
      const r = await cli(['install', bad, '--root', sb.root, '--values', sb.valuesFile, '--trust', pub, ...extra]);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toContain('BUNDLE_BAD_FILE_SIGNATURE');
      expect(r.stderr).toContain(`${path.basename(bad)}.sig`);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(path.join(sb.root, 'var', 'lib', 'uphop', 'bundles'))).toBe(false);
    }
    expect(await readdir(sb.root)).toEqual([]);
    // the good archive with its .sig installs (dry run: says so, changes nothing)
    const ok = await cli(['install', archive, '--root', sb.root, '--values', sb.valuesFile, '--trust', pub, '--dry-run', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr + ok.stdout).toMatch(/detached signature verified/);
  }, 120_000);
});
