import { execFileSync } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { UphopError } from '../../src/errors.js';
import { verifyBundle } from '../../src/bundle/verify.js';
import { writeBundle } from '../../src/bundle/write.js';
import { crc32, crc32Fallback } from '../../src/bundle/crc32.js';
import { buildBundle, cleanup, fakeTgz, materialize, MTIME, sampleFiles, text, tmpDir, TOP } from './fixtures.js';

afterEach(cleanup);

describe('reproducible archive', () => {
  it('gives byte-identical bundles for the same inputs and mtime, and another for another mtime', async () => {
    const files = [...sampleFiles(), { path: 'components/agent.tgz', data: fakeTgz(2 << 20), mode: 0o644 }, { path: 'docs/readme.txt', data: text(1 << 20), mode: 0o644 }];
    const a = await buildBundle(await tmpDir(), files);
    const b = await buildBundle(await tmpDir(), files);
    const c = await buildBundle(await tmpDir(), files, { mtime: 1_800_000_000 });
    expect(b.sha256).toBe(a.sha256);
    expect((await readFile(b.path)).equals(await readFile(a.path))).toBe(true);
    expect(c.sha256).not.toBe(a.sha256);
    // gzip header: no name flag, zero timestamp
    const head = (await readFile(a.path)).subarray(0, 10);
    expect(head[3]).toBe(0);
    expect(head.readUInt32LE(4)).toBe(0);
  });

  it('does not depend on the order entries are given in', async () => {
    const dir = await tmpDir();
    const entries = await materialize(dir, sampleFiles());
    const write = (out: string, list: typeof entries) => writeBundle({ out: join(dir, out), topDir: TOP, manifestBytes: Buffer.from('{}'), entries: list, mtime: new Date(1_700_000_000_000) });
    const x = await write('x.tar.gz', entries);
    const y = await write('y.tar.gz', [...entries].reverse());
    expect(y.sha256).toBe(x.sha256);
  });
});

describe('compression', () => {
  it('stores already-compressed entries (no growth beyond a small overhead) and deflates text', async () => {
    const dir = await tmpDir();
    const pkg = fakeTgz(4 << 20);
    const doc = text(2 << 20);
    const base = await buildBundle(dir, [{ path: 'a.txt', data: Buffer.from('x'), mode: 0o644 }], { name: 'base.tar.gz' });
    const withPkg = await buildBundle(
      dir,
      [
        { path: 'a.txt', data: Buffer.from('x'), mode: 0o644 },
        { path: 'components/p.tgz', data: pkg, mode: 0o644 },
      ],
      { name: 'pkg.tar.gz' },
    );
    const withDoc = await buildBundle(
      dir,
      [
        { path: 'a.txt', data: Buffer.from('x'), mode: 0o644 },
        { path: 'doc.txt', data: doc, mode: 0o644 },
      ],
      { name: 'doc.tar.gz' },
    );
    const growth = withPkg.size - base.size - pkg.length;
    expect(growth).toBeLessThan(1024 + pkg.length / 1000); // stored blocks: ~5 bytes per 64 KiB
    expect(withDoc.size - base.size).toBeLessThan(doc.length / 20);
    // one valid gzip stream, readable by gzip and GNU tar, with the bytes intact
    execFileSync('gzip', ['-t', withPkg.path]);
    const listed = execFileSync('tar', ['-tzf', withPkg.path], { encoding: 'utf8' });
    expect(listed).toContain(`${TOP}/components/p.tgz`);
    await verifyBundle(withPkg.path, { allowUnsigned: true });
  });

  it('switches levels back and forth between stored and deflated entries within one valid stream', async () => {
    const dir = await tmpDir();
    const files = ['a', 'b', 'c', 'd'].map((n, i) => ({ path: `${n}.${i % 2 ? 'txt' : 'tgz'}`, data: i % 2 ? text(300_000) : fakeTgz(300_000), mode: 0o644 }));
    const b = await buildBundle(dir, files);
    expect(b.size).toBeLessThan(600_000 + 2 * 30_000);
    const tar = gunzipSync(await readFile(b.path));
    for (const f of files) expect(tar.includes(f.data.subarray(0, 4096))).toBe(true);
    const v = await verifyBundle(b.path, { allowUnsigned: true });
    expect(v.files).toBe(4);
  });
});

describe('gzip framing', () => {
  it('computes the same CRC-32 natively and in the fallback', () => {
    const data = Buffer.concat([text(100_000), fakeTgz(100_000)]);
    expect(crc32Fallback(data.subarray(50_000), crc32Fallback(data.subarray(0, 50_000)))).toBe(crc32(data));
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  it('rejects a compression level outside 0-9', async () => {
    const dir = await tmpDir();
    const err = await writeBundle({ out: join(dir, 'x.tar.gz'), topDir: TOP, manifestBytes: Buffer.from('{}'), entries: [], mtime: 0, level: 12 }).catch((e) => e);
    expect({ code: err.code, exitCode: err.exitCode }).toEqual({ code: 'BUNDLE_BAD_LEVEL', exitCode: 2 });
  });

  it('writes a valid stream at every level, the whole archive stored at level 0', async () => {
    const dir = await tmpDir();
    const files = [
      { path: 'a.txt', data: text(200_000), mode: 0o644 },
      { path: 'b.tgz', data: fakeTgz(200_000), mode: 0o644 },
    ];
    const sizes: number[] = [];
    for (const level of [0, 1, 9]) {
      const b = await buildBundle(dir, files, { name: `l${level}.tar.gz`, mtime: MTIME });
      const w = await writeBundle({ out: join(dir, `w${level}.tar.gz`), topDir: TOP, manifestBytes: b.bytes, entries: b.entries, mtime: MTIME, level });
      execFileSync('gzip', ['-t', w.path]);
      await verifyBundle(w.path, { allowUnsigned: true });
      sizes.push(w.size);
    }
    expect(sizes[0]).toBeGreaterThan(400_000);
    expect(sizes[2]).toBeLessThan(sizes[0] - 150_000);
  });
});

describe('hash while copying', () => {
  it('fails and leaves no file when an input changed after it was hashed', async () => {
    const dir = await tmpDir();
    const entries = await materialize(dir, sampleFiles());
    const victim = entries.find((e) => e.path === 'installer/main.js')!;
    await writeFile((victim.source as { file: string }).file, text(victim.size).fill(0x41, 0, 10)); // same size, other bytes
    const out = join(dir, 'out', 'x.tar.gz');
    const err = await writeBundle({ out, topDir: TOP, manifestBytes: Buffer.from('{}'), entries, mtime: 0 }).catch((e) => e);
    expect(err).toBeInstanceOf(UphopError);
    expect({ code: err.code, exitCode: err.exitCode }).toEqual({ code: 'BUNDLE_INPUT_CHANGED', exitCode: 1 });
    expect(err.message).toContain('installer/main.js');
    expect(await readdir(join(dir, 'out'))).toEqual([]);
  });

  it('fails when an input grew or shrank', async () => {
    const dir = await tmpDir();
    for (const size of [19_999, 20_001]) {
      const entries = await materialize(dir, sampleFiles());
      const victim = entries.find((e) => e.path === 'installer/main.js')!;
      await writeFile((victim.source as { file: string }).file, text(size));
      const err = await writeBundle({ out: join(dir, 'x.tar.gz'), topDir: TOP, manifestBytes: Buffer.from('{}'), entries, mtime: 0 }).catch((e) => e);
      expect(err.code).toBe('BUNDLE_INPUT_CHANGED');
      expect(err.message).toContain(`size ${size}`);
    }
  });

  it('refuses unsafe entry paths before writing anything', async () => {
    const dir = await tmpDir();
    for (const path of ['../evil', '/abs', 'a/./b', 'bundle.json']) {
      const err = await writeBundle({
        out: join(dir, 'x.tar.gz'),
        topDir: TOP,
        manifestBytes: Buffer.from('{}'),
        entries: [{ path, source: { data: Buffer.from('x') }, mode: 0o644, sha256: '', size: 1 }],
        mtime: 0,
      }).catch((e) => e);
      expect({ code: err.code, exitCode: err.exitCode }).toEqual({ code: 'BUNDLE_BAD_ENTRY', exitCode: 2 });
    }
    expect(await readdir(dir)).toEqual([]);
  });
});
