import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { extractBundle } from '../../src/bundle/extract.js';
import { readManifest } from '../../src/bundle/read.js';
import { verifyBundle } from '../../src/bundle/verify.js';
import { buildBundle, cleanup, craftBundle, craftTar, expectRefusal, fileEntry, manifestBytes, manifestFor, sampleFiles, text, tmpDir, TOP, type InputFile, type RawEntry } from './fixtures.js';

afterEach(cleanup);

const files: InputFile[] = [
  { path: 'install.sh', data: Buffer.from('#!/bin/sh\necho hi\n'), mode: 0o755 },
  { path: 'installer/main.js', data: text(5000), mode: 0o644 },
];
const ok = files.map(fileEntry);

/** writes the crafted bundle, expects verify AND extract to refuse it, and extract to leave nothing */
async function refusedBoth(bundle: Buffer, code: string, mention: string) {
  const dir = await tmpDir();
  const path = join(dir, 'bad.tar.gz');
  await writeFile(path, bundle);
  await expectRefusal(verifyBundle(path, { allowUnsigned: true }), code, mention);
  const dest = join(dir, 'dest');
  await expectRefusal(extractBundle(path, dest, { allowUnsigned: true }), code, mention);
  expect(await readdir(dest)).toEqual([]);
}

describe('verify and extract refuse a tampered bundle, naming the path', () => {
  it('the crafted head itself is a valid bundle (control)', async () => {
    const dir = await tmpDir();
    await writeFile(join(dir, 'good.tar.gz'), craftBundle(files, ok));
    const x = await extractBundle(join(dir, 'good.tar.gz'), join(dir, 'dest'), { allowUnsigned: true });
    expect(await readFile(join(x.dir, 'install.sh'), 'utf8')).toBe('#!/bin/sh\necho hi\n');
  });

  it('a changed byte', async () => {
    const bad = { ...ok[1], data: Buffer.from(files[1].data).fill(0x58, 100, 101) };
    await refusedBoth(craftBundle(files, [ok[0], bad]), 'BUNDLE_FILE_MODIFIED', `${TOP}/installer/main.js`);
  });

  it('a manifest that declares another sha256, size or mode', async () => {
    await refusedBoth(
      craftBundle(files, ok, (m) => {
        m.files['install.sh'].sha256 = 'a'.repeat(64);
      }),
      'BUNDLE_FILE_MODIFIED',
      `${TOP}/install.sh`,
    );
    await refusedBoth(
      craftBundle(files, ok, (m) => {
        m.files['install.sh'].size += 1;
      }),
      'BUNDLE_FILE_MODIFIED',
      'size',
    );
    await refusedBoth(
      craftBundle(files, ok, (m) => {
        m.files['install.sh'].mode = '0644';
      }),
      'BUNDLE_FILE_MODIFIED',
      'mode 0755, expected 0644',
    );
  });

  it('a manifest built by the writer that lies about a file', async () => {
    const dir = await tmpDir();
    const b = await buildBundle(dir, sampleFiles(), {
      edit: (m) => {
        m.files['hooks/check-disk.sh'].sha256 = '0'.repeat(64);
      },
    });
    await expectRefusal(verifyBundle(b.path, { allowUnsigned: true }), 'BUNDLE_FILE_MODIFIED', 'hooks/check-disk.sh');
  });

  it('a file not in the manifest, or twice in the archive', async () => {
    await refusedBoth(craftBundle(files, [...ok, { path: `${TOP}/extra.sh`, data: Buffer.from('rm -rf /') }]), 'BUNDLE_EXTRA_FILE', `${TOP}/extra.sh`);
    await refusedBoth(craftBundle(files, [...ok, ok[0]]), 'BUNDLE_EXTRA_FILE', 'appears twice');
    await refusedBoth(craftBundle(files, [...ok, { path: `${TOP}/bundle.json`, data: Buffer.from('{}') }]), 'BUNDLE_EXTRA_FILE', `${TOP}/bundle.json`);
  });

  it('a manifest file missing from the archive', async () => {
    await refusedBoth(craftBundle(files, [ok[0]]), 'BUNDLE_MISSING_FILE', `${TOP}/installer/main.js`);
  });

  const unsafe: [string, RawEntry, string][] = [
    ['.. in the path', { path: `${TOP}/../evil`, data: Buffer.from('x') }, `${TOP}/../evil`],
    ['a bare ../ path', { path: '../evil', data: Buffer.from('x') }, '../evil'],
    ['an absolute path', { path: '/etc/cron.d/evil', data: Buffer.from('x') }, '/etc/cron.d/evil'],
    ['a path outside the top folder', { path: 'other/x', data: Buffer.from('x') }, 'other/x'],
    ['a symlink to /etc', { path: `${TOP}/etc`, type: 'SymbolicLink', linkpath: '/etc' }, `${TOP}/etc`],
    ['a hard link', { path: `${TOP}/passwd`, type: 'Link', linkpath: '/etc/passwd' }, `${TOP}/passwd`],
    ['a device', { path: `${TOP}/sda`, type: 'BlockDevice' }, `${TOP}/sda`],
  ];
  for (const [what, entry, mention] of unsafe) {
    it(`an unsafe entry: ${what}`, async () => {
      await refusedBoth(craftBundle(files, [entry, ...ok]), 'BUNDLE_UNSAFE_PATH', mention);
    });
  }

  it('a symlink message says where it points', async () => {
    const dir = await tmpDir();
    await writeFile(join(dir, 'b.tar.gz'), craftBundle(files, [{ path: `${TOP}/etc`, type: 'SymbolicLink', linkpath: '/etc' }, ...ok]));
    const e = await expectRefusal(verifyBundle(join(dir, 'b.tar.gz'), { allowUnsigned: true }), 'BUNDLE_UNSAFE_PATH');
    expect(e.message).toContain('symbolic link to /etc');
  });

  it('a PAX path overrides a harmless ustar name, and is the one checked', async () => {
    await refusedBoth(craftBundle(files, [{ path: `${TOP}/harmless`, paxPath: `${TOP}/../../etc/cron.d/evil`, data: Buffer.from('x') }, ...ok]), 'BUNDLE_UNSAFE_PATH', `${TOP}/../../etc/cron.d/evil`);
  });

  it('a long (ustar prefix) path is read in full, so an escape cannot hide past 100 bytes', async () => {
    const long = `${TOP}/${'d'.repeat(120)}/../../../evil`;
    await refusedBoth(craftBundle(files, [{ path: long, data: Buffer.from('x') }, ...ok]), 'BUNDLE_UNSAFE_PATH', long);
  });
});

describe('damaged archives', () => {
  it('a bundle cut in half, or missing its gzip trailer, is truncated', async () => {
    const dir = await tmpDir();
    const b = await buildBundle(dir);
    const whole = await readFile(b.path);
    for (const cut of [Math.floor(whole.length / 2), whole.length - 4]) {
      await writeFile(join(dir, 'cut.tar.gz'), whole.subarray(0, cut));
      await expectRefusal(verifyBundle(join(dir, 'cut.tar.gz'), { allowUnsigned: true }), 'BUNDLE_TRUNCATED', join(dir, 'cut.tar.gz'));
      await mkdir(join(dir, 'dest'), { recursive: true });
      await expectRefusal(extractBundle(join(dir, 'cut.tar.gz'), join(dir, 'dest'), { allowUnsigned: true }), 'BUNDLE_TRUNCATED');
      expect(await readdir(join(dir, 'dest'))).toEqual([]);
    }
  });

  it('a tar cut at an entry boundary (no end marker) is truncated', async () => {
    const dir = await tmpDir();
    const tar = craftTar([
      { path: `${TOP}/`, type: 'Directory' },
      { path: `${TOP}/bundle.json`, data: manifestBytes(manifestFor([])) },
    ]);
    const { gunzipSync } = await import('node:zlib');
    await writeFile(join(dir, 'x.tar.gz'), gzipSync(gunzipSync(tar).subarray(0, 1024 + 512)));
    await expectRefusal(verifyBundle(join(dir, 'x.tar.gz'), { allowUnsigned: true }), 'BUNDLE_TRUNCATED', 'end-of-archive');
  });

  it('not gzip, or gzip but not tar, is corrupt (verify and inspect)', async () => {
    const dir = await tmpDir();
    await writeFile(join(dir, 'plain.tar.gz'), 'hello, I am not a bundle\n'.repeat(100));
    await writeFile(join(dir, 'text.tar.gz'), gzipSync(Buffer.from('hello\n'.repeat(1000))));
    for (const name of ['plain.tar.gz', 'text.tar.gz']) {
      await expectRefusal(verifyBundle(join(dir, name), { allowUnsigned: true }), 'BUNDLE_CORRUPT', name);
      await expectRefusal(readManifest(join(dir, name)), 'BUNDLE_CORRUPT', name);
    }
  });
});

describe('the head: bundle.json first and well-formed', () => {
  const write = async (buf: Buffer) => {
    const dir = await tmpDir();
    await writeFile(join(dir, 'b.tar.gz'), buf);
    return join(dir, 'b.tar.gz');
  };

  it('refuses a first entry that is not <top>/bundle.json', async () => {
    for (const first of ['install.sh', `${TOP}/install.sh`, `${TOP}/sub/bundle.json`]) {
      const p = await write(craftTar([{ path: first, data: Buffer.from('{}') }]));
      await expectRefusal(readManifest(p), 'BUNDLE_NO_MANIFEST', first);
      await expectRefusal(verifyBundle(p, { allowUnsigned: true }), 'BUNDLE_NO_MANIFEST', first);
    }
  });

  it('refuses bad JSON, an unsupported format, and a manifest whose shape the installer cannot trust', async () => {
    const head = (m: Buffer) => craftTar([{ path: `${TOP}/bundle.json`, data: m }]);
    await expectRefusal(readManifest(await write(head(Buffer.from('{"format": 1,')))), 'BUNDLE_BAD_MANIFEST', 'not JSON');
    const future = { ...manifestFor([]), format: 99 };
    await expectRefusal(readManifest(await write(head(manifestBytes(future)))), 'BUNDLE_UNSUPPORTED_FORMAT', 'format 99');
    const cases: [(m: ReturnType<typeof manifestFor>) => void, string][] = [
      [
        (m) => {
          m.files['../escape'] = { sha256: 'a'.repeat(64), size: 1, mode: '0644' };
        },
        'files["../escape"]',
      ],
      [
        (m) => {
          m.files.x = { sha256: 'a'.repeat(64), size: 1, mode: '4755' };
        },
        'files["x"].mode',
      ],
      [
        (m) => {
          m.configs = [{ template: 'configs/missing.tmpl', dest: 'etc/x', mode: '0644' }];
        },
        'configs[0].template',
      ],
      [
        (m) => {
          m.configs = [{ template: 'install.sh', dest: '../../etc/passwd', mode: '0644' }];
        },
        'configs[0].dest',
      ],
      [
        (m) => {
          (m as { product: unknown }).product = 42;
        },
        'manifest.product',
      ],
      [
        (m) => {
          (m.components as unknown[]) = [{ name: 'x', version: '1.0.0', type: 'exe', file: 'install.sh' }];
        },
        'components[0].type',
      ],
    ];
    for (const [edit, field] of cases) {
      const m = manifestFor([{ path: 'install.sh', mode: 0o755, sha256: 'b'.repeat(64), size: 1 }]);
      edit(m);
      const e = await expectRefusal(readManifest(await write(head(manifestBytes(m)))), 'BUNDLE_BAD_MANIFEST', field);
      expect(e.problems.map((p) => p.field)).toContain(field);
    }
  });

  it('inspect of a missing file is bad usage (exit 2)', async () => {
    const e = await readManifest('/nonexistent/x.tar.gz').catch((err) => err);
    expect({ code: e.code, exitCode: e.exitCode }).toEqual({ code: 'BUNDLE_NOT_FOUND', exitCode: 2 });
  });
});
