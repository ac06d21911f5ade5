import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { list } from 'tar';
import { afterEach, describe, expect, it } from 'vitest';
import { readManifest, readManifestFromStream } from '../../src/bundle/read.js';
import { verifyBundle } from '../../src/bundle/verify.js';
import { extractBundle } from '../../src/bundle/extract.js';
import { hashFile } from '../../src/bundle/write.js';
import type { UphopEvent } from '../../src/events.js';
import { buildBundle, cleanup, sampleFiles, sha256, text, tmpDir, TOP } from './fixtures.js';

afterEach(cleanup);

describe('bundle round trip', () => {
  it('writes a bundle that GNU tar and node-tar list in the documented order, with fixed owners and mtime', async () => {
    const dir = await tmpDir();
    const b = await buildBundle(dir);
    const gnu = execFileSync('tar', ['-tvzf', b.path], { encoding: 'utf8' }).trim().split('\n');
    const names = gnu.map((l) => l.split(/\s+/).slice(5).join(' '));
    expect(names).toEqual([
      `${TOP}/`,
      `${TOP}/bundle.json`,
      `${TOP}/components/`,
      `${TOP}/components/beacon-rest-4.1.1.tgz`,
      `${TOP}/configs/`,
      `${TOP}/configs/rest-service.yaml.tmpl`,
      `${TOP}/hooks/`,
      `${TOP}/hooks/check-disk.sh`,
      `${TOP}/install.sh`,
      `${TOP}/installer/`,
      `${TOP}/installer/main.js`,
      `${TOP}/migrations/`,
      `${TOP}/migrations/4.1.1/`,
      `${TOP}/migrations/4.1.1/001-add-tags.mjs`,
    ]);
    expect(gnu.every((l) => l.split(/\s+/)[1] === '0/0')).toBe(true);
    expect(gnu.find((l) => l.endsWith('install.sh'))).toMatch(/^-rwxr-xr-x 0\/0 +43 2023-11-14/);
    expect(gnu.find((l) => l.endsWith('.tmpl'))).toMatch(/^-rw-r-----/);

    const seen: { path: string; size: number }[] = [];
    await list({
      file: b.path,
      strict: true,
      onReadEntry: (e) => {
        seen.push({ path: e.path, size: e.size });
      },
    });
    expect(seen.map((s) => s.path)).toEqual(names);
    expect(seen.find((s) => s.path.endsWith('main.js'))?.size).toBe(20_000);
    expect(b.sha256).toBe((await hashFile(b.path)).sha256);
    expect(b.size).toBe((await stat(b.path)).size);
  });

  it('verifies, then extracts exactly the files with their modes, reporting progress', async () => {
    const dir = await tmpDir();
    const files = sampleFiles();
    const b = await buildBundle(dir, files);
    const events: UphopEvent[] = [];
    const v = await verifyBundle(b.path, { allowUnsigned: true, emit: (e) => events.push(e) });
    const total = files.reduce((n, f) => n + f.data.length, 0);
    expect(v).toMatchObject({ topDir: TOP, signed: false, files: files.length, bytes: total });
    expect(v.signer).toBeUndefined();
    expect(v.manifest.to).toBe('4.1.1');
    expect(v.manifestBytes.equals(b.bytes)).toBe(true);
    expect(events).toContainEqual({ type: 'progress', task: 'verify', done: total, total, unit: 'bytes' });
    expect(events).toContainEqual(expect.objectContaining({ type: 'log', level: 'warn' }));

    const dest = join(dir, 'out');
    const x = await extractBundle(b.path, dest, { allowUnsigned: true });
    expect(x.dir).toBe(join(dest, TOP));
    expect(await readdir(dest)).toEqual([TOP]); // the temp folder is gone
    for (const f of files) {
      const p = join(x.dir, f.path);
      expect(sha256(await readFile(p))).toBe(sha256(f.data));
      expect((await stat(p)).mode & 0o7777).toBe(f.mode);
    }
    expect(await readFile(join(x.dir, 'bundle.json'))).toEqual(b.bytes);
    expect((await stat(x.dir)).mode & 0o777).toBe(0o755);
  });

  it('refuses to extract over an existing folder and leaves it alone', async () => {
    const dir = await tmpDir();
    const b = await buildBundle(dir);
    const dest = join(dir, 'out');
    await extractBundle(b.path, dest, { allowUnsigned: true });
    const e = await extractBundle(b.path, dest, { allowUnsigned: true }).catch((err) => err);
    expect({ code: e.code, exitCode: e.exitCode }).toEqual({ code: 'BUNDLE_DEST_EXISTS', exitCode: 2 });
    expect(await readdir(dest)).toEqual([TOP]);
  });

  it('reads the manifest from the first bytes only (a ranged download)', async () => {
    const dir = await tmpDir();
    const files = [...sampleFiles(), { path: 'components/big.tgz', data: Buffer.alloc(3 << 20, 1), mode: 0o644 }];
    const b = await buildBundle(dir, files, { signature: () => Buffer.alloc(64, 7) });
    const whole = await readManifest(b.path);
    expect(whole).toMatchObject({ topDir: TOP, manifest: b.manifest });
    expect(whole.manifestBytes.equals(b.bytes)).toBe(true);
    expect(whole.signature).toEqual(Buffer.alloc(64, 7));

    const first = createReadStream(b.path, { start: 0, end: 8191 });
    const r = await readManifestFromStream(first, 's3://bucket/x.tar.gz');
    expect(r.manifest).toEqual(b.manifest);
    expect(r.signature).toEqual(Buffer.alloc(64, 7));
    expect(first.destroyed).toBe(true);
  });

  it('keeps paths longer than 100 bytes (PAX) for GNU tar, node-tar and our reader; empty files too', async () => {
    const dir = await tmpDir();
    const long = `migrations/${'m'.repeat(60)}/${'n'.repeat(70)}/001-été.mjs`;
    const b = await buildBundle(dir, [
      { path: long, data: Buffer.from('export {};\n'), mode: 0o644 },
      { path: 'empty', data: Buffer.alloc(0), mode: 0o600 },
    ]);
    expect(execFileSync('tar', ['-tzf', b.path], { encoding: 'utf8' })).toContain(`${TOP}/${long}\n`);
    const seen: string[] = [];
    await list({
      file: b.path,
      onReadEntry: (e) => {
        seen.push(e.path);
      },
    });
    expect(seen).toContain(`${TOP}/${long}`);
    const x = await extractBundle(b.path, join(dir, 'dest'), { allowUnsigned: true });
    expect(await readFile(join(x.dir, long), 'utf8')).toBe('export {};\n');
    expect((await stat(join(x.dir, 'empty'))).size).toBe(0);
  });

  it('refuses a ranged stream that ends before the manifest does', async () => {
    const dir = await tmpDir();
    const b = await buildBundle(dir, sampleFiles(), {
      edit: (m) => {
        m.services.order = Array.from({ length: 5000 }, (_, i) => `service-${i}-${sha256(Buffer.from(String(i)))}`);
      },
    });
    const e = await readManifestFromStream(createReadStream(b.path, { start: 0, end: 2047 }), 's3://bucket/b.tar.gz').catch((err) => err);
    expect({ code: e.code, exitCode: e.exitCode }).toEqual({ code: 'BUNDLE_TRUNCATED', exitCode: 3 });
    expect(e.message).toContain('s3://bucket/b.tar.gz');
  });

  it('hashFile streams the sha256 and size of a file', async () => {
    const dir = await tmpDir();
    const data = text(3 * 1024 * 1024 + 17);
    const b = await buildBundle(dir, [{ path: 'a.txt', data, mode: 0o644 }]);
    expect(await hashFile(join(dir, 'inputs', 'a.txt'))).toEqual({ sha256: sha256(data), size: data.length });
    expect(b.entries[0].size).toBe(data.length);
  });
});
