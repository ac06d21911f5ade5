/**
 * One meaning for every reader: for a corpus of good and hostile bundles whose
 * every byte this test writes (raw-tar.ts), each with a validly signed manifest
 * so verification gets past the signature, whenever `uphop verify --trust` (the
 * built CLI) accepts one, GNU tar, bsdtar and node-tar must each extract
 * exactly bundle.json, bundle.json.sig and the files bundle.json lists, with
 * their bytes, and nothing else. Every hostile case must also be refused, with
 * the rule it breaks, so the test fails if the reader becomes lax. Then random
 * mutations of a good bundle (seed printed; UPHOP_DIFF_N=2000 for a long run).
 */
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, lstat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import * as nodeTar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyBundle } from '../../src/bundle/verify.js';
import { writeBundle } from '../../src/bundle/write.js';
import { isUphopError } from '../../src/errors.js';
import { ACME_TOP as TOP, acmeManifest, cleanup, signingKey, tmpDir } from './fixtures.js';
import { END, entry, gz, header, pax, paxRecord, type RawHeader } from './raw-tar.js';

const CLI = path.resolve('dist/cli/main.js');
const LONG = `d/${'x'.repeat(120)}.txt`; // its full path needs a PAX record
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface File {
  path: string;
  data: Buffer;
  mode: number;
}
const FILES: File[] = [
  { path: 'install.sh', data: Buffer.from('#!/bin/sh\necho genuine\n'), mode: 0o755 },
  { path: 'lib/app.js', data: Buffer.from('console.log("app");\n'.repeat(40)), mode: 0o644 },
  { path: LONG, data: Buffer.from('long name\n'), mode: 0o644 },
  { path: 'docs/café.txt', data: Buffer.from('non-ASCII name\n'), mode: 0o644 },
];
const EVIL = Buffer.from('#!/bin/sh\necho EVIL\n');

let dir: string;
let keyFile: string;
let manifestBytes: Buffer;
let signature: Buffer;

function manifestOf(files: File[]): Buffer {
  const m = acmeManifest(Object.fromEntries(files.map((f) => [f.path, { sha256: sha(f.data), size: f.data.length, mode: `0${f.mode.toString(8)}` }])));
  return Buffer.from(JSON.stringify(m, null, 2) + '\n');
}

const ustarName = (p: string) => {
  const b = Buffer.alloc(100);
  return b.toString('utf8', 0, b.write(p, 0, 100, 'utf8'));
};

/** a file the way the writer writes it: a PAX path header first when the path is long */
function fileEntry(rel: string, data: Buffer, mode = 0o644, h: Partial<RawHeader> = {}): Buffer {
  const full = `${TOP}/${rel}`;
  if (Buffer.byteLength(full) <= 100) return entry({ name: full, mode, ...h }, data);
  return Buffer.concat([pax(paxRecord('path', full)), entry({ name: ustarName(full), mode, ...h }, data)]);
}
const dirEntry = (rel: string, h: Partial<RawHeader> = {}) => entry({ name: `${TOP}/${rel}${rel ? '/' : ''}`, type: '5', ...h });

/** the head (top folder, manifest, signature) */
const head = () => Buffer.concat([dirEntry(''), entry({ name: `${TOP}/bundle.json` }, manifestBytes), entry({ name: `${TOP}/bundle.json.sig` }, signature)]);
/** folders and files in the writer's order */
const body = () =>
  Buffer.concat([
    dirEntry('d'),
    fileEntry(LONG, FILES[2].data),
    dirEntry('docs'),
    fileEntry('docs/café.txt', FILES[3].data),
    fileEntry('install.sh', FILES[0].data, 0o755),
    dirEntry('lib'),
    fileEntry('lib/app.js', FILES[1].data),
  ]);
const tarOf = (...middle: Buffer[]) => Buffer.concat([head(), ...middle]);
const good = () => tarOf(body(), END);

interface Case {
  name: string;
  gz: () => Buffer;
  refused?: { code: string; mention: string };
}
const ok = (name: string, tar: () => Buffer): Case => ({ name, gz: () => gz(tar()) });
const bad = (name: string, code: string, mention: string, tar: () => Buffer): Case => ({ name, gz: () => gz(tar()), refused: { code, mention } });
const A = 'BUNDLE_AMBIGUOUS';

const installSh = (h: Partial<RawHeader> = {}, data = FILES[0].data) => fileEntry('install.sh', data, 0o755, h);
const sparseOrLongBefore = (type: string, data: string) => tarOf(entry({ name: '././@LongLink', type }, Buffer.from(data + '\0')), body(), END);

const WRITER = "uphop's own writer";
/** the bundle as `uphop build` writes it (writeBundle), same manifest and signature */
async function writeWith(out: string): Promise<void> {
  const entries = FILES.map((f) => ({ path: f.path, source: { data: f.data }, mode: f.mode, sha256: sha(f.data), size: f.data.length }));
  await writeBundle({ out, topDir: TOP, manifestBytes, signature, entries, mtime: 1_700_000_000 });
}

const CASES: Case[] = [
  { name: WRITER, gz: () => Buffer.alloc(0) },
  ok('the canonical form', good),
  ok('a tar record of zero blocks after the end marker (as GNU tar pads)', () => tarOf(body(), END, Buffer.alloc(512 * 18))),
  ok('node-tar style number terminators (space then NUL)', () =>
    tarOf(
      dirEntry('d'),
      fileEntry(LONG, FILES[2].data),
      dirEntry('docs'),
      fileEntry('docs/café.txt', FILES[3].data),
      installSh({
        patch: [
          [100, '000755 \0'],
          [108, '000000 \0'],
          [124, `${FILES[0].data.length.toString(8).padStart(10, '0')} \0`],
        ],
      }),
      dirEntry('lib'),
      fileEntry('lib/app.js', FILES[1].data),
      END,
    ),
  ),
  ok('no folder entries at all', () => tarOf(fileEntry(LONG, FILES[2].data), fileEntry('docs/café.txt', FILES[3].data), installSh(), fileEntry('lib/app.js', FILES[1].data), END)),

  bad('a folder with a size and data (tar readers take the data for headers)', A, 'folder with 1536 bytes', () =>
    tarOf(entry({ name: `${TOP}/lib/`, type: '5' }, Buffer.concat([installSh({}, EVIL), Buffer.alloc(512)])), body(), END),
  ),
  bad('a folder with a size but no data', A, 'folder with 512 bytes', () => tarOf(header({ name: `${TOP}/lib/`, type: '5', size: 512 }), body(), END)),
  bad('a symbolic link with data', A, 'special entry', () => tarOf(entry({ name: `${TOP}/ln`, type: '2', linkname: 'install.sh' }, installSh({}, EVIL)), body(), END)),
  bad('a global PAX header', A, 'global PAX header', () => tarOf(pax(paxRecord('path', `${TOP}/install.sh`), 'g'), body(), END)),
  bad('a GNU sparse header', A, 'GNU sparse', () => tarOf(entry({ name: `${TOP}/sparse`, type: 'S' }, EVIL), body(), END)),
  bad('GNU.sparse PAX keys', A, 'GNU sparse', () => tarOf(pax(paxRecord('GNU.sparse.major', '1') + paxRecord('GNU.sparse.minor', '0')), body(), END)),
  bad('two PAX headers in a row', A, 'second PAX header', () => tarOf(pax(paxRecord('path', `${TOP}/${'y'.repeat(100)}`)), fileEntry(LONG, FILES[2].data), body(), END)),
  bad('a GNU long name', A, 'GNU long-name', () => sparseOrLongBefore('L', `${TOP}/install.sh`)),
  bad('a GNU long link', A, 'GNU long-link', () => sparseOrLongBefore('K', '/etc/passwd')),
  bad('a PAX mtime key', A, '"mtime"', () => tarOf(pax(paxRecord('mtime', '1')), installSh(), END)),
  bad('a PAX uid key', A, '"uid"', () => tarOf(pax(paxRecord('uid', '1000')), installSh(), END)),
  bad('a PAX linkpath key', A, '"linkpath"', () => tarOf(pax(paxRecord('linkpath', 'x')), installSh(), END)),
  bad('a PAX header with a duplicate key', A, 'twice', () =>
    tarOf(pax(paxRecord('path', `${TOP}/${LONG}`) + paxRecord('path', `${TOP}/${LONG}`)), entry({ name: ustarName(`${TOP}/${LONG}`) }, FILES[2].data), END),
  ),
  ...['0012', ' 12', '+12', '12 ', '1e3', '0x10', ''].map((v) => bad(`a PAX size ${JSON.stringify(v)}`, A, 'PAX size', () => tarOf(pax(paxRecord('size', v)), installSh(), END))),
  bad('a PAX size that fits ustar', A, 'PAX size', () => tarOf(pax(paxRecord('size', String(FILES[0].data.length))), installSh({ size: 0 }), END)),
  bad('a PAX path with a NUL byte', 'BUNDLE_UNSAFE_PATH', 'NUL', () =>
    tarOf(pax(paxRecord('path', `${TOP}/${LONG}\0.evil`)), entry({ name: ustarName(`${TOP}/${LONG}`) }, FILES[2].data), body(), END),
  ),
  bad('a short PAX path over another ustar name', 'BUNDLE_UNSAFE_PATH', 'would fit the ustar name', () =>
    tarOf(pax(paxRecord('path', `${TOP}/install.sh`)), entry({ name: `${TOP}/lib/app.js`, mode: 0o755 }, FILES[0].data), END),
  ),
  bad('a long PAX path whose ustar name differs', 'BUNDLE_UNSAFE_PATH', 'differs from its ustar name', () =>
    tarOf(pax(paxRecord('path', `${TOP}/${LONG}`)), entry({ name: `${TOP}/install.sh` }, FILES[2].data), END),
  ),
  bad('a PAX record length with a leading zero', A, 'malformed record', () => tarOf(pax('0' + paxRecord('path', `${TOP}/${LONG}`).replace(/^\d+/, (d) => String(Number(d) + 1))), END)),
  bad('a PAX header followed by the end', A, 'end of the archive', () => tarOf(body(), pax(paxRecord('path', `${TOP}/${LONG}`)), END)),
  bad('a duplicate file (tar keeps the last)', 'BUNDLE_EXTRA_FILE', 'appears twice', () => tarOf(body(), installSh({}, EVIL), END)),
  bad('a duplicate file of the same bytes', 'BUNDLE_EXTRA_FILE', 'appears twice', () => tarOf(body(), installSh(), END)),
  bad('a duplicate folder', 'BUNDLE_EXTRA_FILE', 'appears twice', () => tarOf(body(), dirEntry('lib'), END)),
  bad('the top folder again', 'BUNDLE_EXTRA_FILE', 'repeats the top folder', () => tarOf(body(), dirEntry(''), END)),
  bad('a folder no manifest path lies in', 'BUNDLE_EXTRA_FILE', 'no file of bundle.json lies in', () => tarOf(body(), dirEntry('empty'), END)),
  bad('a folder where the manifest lists a file', 'BUNDLE_EXTRA_FILE', 'folder where bundle.json lists a file', () => tarOf(dirEntry('install.sh'), body(), END)),
  bad('a file not in the manifest', 'BUNDLE_EXTRA_FILE', `${TOP}/evil.sh`, () => tarOf(body(), fileEntry('evil.sh', EVIL), END)),
  bad('an entry after the end marker', 'BUNDLE_CORRUPT', 'after the end-of-archive marker', () => tarOf(body(), END, fileEntry('evil.sh', EVIL), END)),
  bad('an entry after a lone zero block (node-tar reads on)', 'BUNDLE_CORRUPT', 'after the end-of-archive marker', () => tarOf(body(), Buffer.alloc(512), fileEntry('evil.sh', EVIL), END)),
  bad('a single zero block as the end', 'BUNDLE_TRUNCATED', 'single zero block', () => tarOf(body(), Buffer.alloc(512))),
  bad('too many zero blocks after the end', 'BUNDLE_CORRUPT', 'zero blocks after its last entry', () => tarOf(body(), END, Buffer.alloc(512 * 19))),
  bad('a checksum GNU tar accepts as a signed sum', 'BUNDLE_CORRUPT', 'checksum', () => tarOf(fileEntry('docs/café.txt', FILES[3].data, 0o644, { checksum: 'signed' }), END)),
  bad('a checksum with a leading space', A, 'checksum field', () => {
    const h = header({ name: `${TOP}/install.sh`, mode: 0o755, size: FILES[0].data.length });
    const good6 = h.toString('latin1', 148, 154);
    return tarOf(entry({ name: `${TOP}/install.sh`, mode: 0o755, checksum: ` ${good6}\0` }, FILES[0].data), END);
  }),
  bad('a checksum of 8 digits', A, 'checksum field', () => {
    const h = header({ name: `${TOP}/install.sh`, mode: 0o755, size: FILES[0].data.length });
    return tarOf(entry({ name: `${TOP}/install.sh`, mode: 0o755, checksum: '00' + h.toString('latin1', 148, 154) }, FILES[0].data), END);
  }),
  bad('a base-256 size', A, 'base-256', () => {
    const s = Buffer.alloc(12);
    s[0] = 0x80;
    s.writeUIntBE(FILES[0].data.length, 6, 6);
    return tarOf(installSh({ patch: [[124, s]] }), END);
  }),
  bad('a base-256 mode', A, 'base-256', () => {
    const s = Buffer.alloc(8);
    s[0] = 0x80;
    s.writeUIntBE(0o755, 4, 4);
    return tarOf(installSh({ patch: [[100, s]] }), END);
  }),
  bad('a base-256 uid', A, 'base-256', () => {
    const s = Buffer.alloc(8);
    s[0] = 0x80;
    return tarOf(installSh({ patch: [[108, s]] }), END);
  }),
  bad('a mode with a digit after its terminator', A, 'mode field', () => tarOf(installSh({ patch: [[100, '000755 4']] }), END)),
  bad('a mode with a leading space', A, 'mode field', () => tarOf(installSh({ patch: [[100, ' 000755\0']] }), END)),
  bad('an empty uid field', A, 'uid field', () => tarOf(installSh({ patch: [[108, Buffer.alloc(8)]] }), END)),
  bad('a size with no terminator', A, 'size field', () => tarOf(installSh({ patch: [[124, FILES[0].data.length.toString(8).padStart(12, '0')]] }), END)),
  bad('a non-root owner', A, 'uid 0', () => tarOf(installSh({ uid: 1000 }), END)),
  bad('an owner name', A, 'owner', () => tarOf(installSh({ uname: 'nobody' }), END)),
  bad('the ustar prefix field', 'BUNDLE_UNSAFE_PATH', 'prefix field', () => tarOf(entry({ name: 'install.sh', prefix: TOP, mode: 0o755 }, FILES[0].data), END)),
  bad('old GNU magic', A, 'old GNU', () => tarOf(installSh({ magic: 'ustar  \0' }), END)),
  bad('no magic at all (v7)', 'BUNDLE_CORRUPT', 'no ustar magic', () => tarOf(installSh({ magic: '\0\0\0\0\0\0\0\0' }), END)),
  bad('a hard link', 'BUNDLE_UNSAFE_PATH', 'hard link', () => tarOf(body(), entry({ name: `${TOP}/x`, type: '1', linkname: `${TOP}/install.sh` }), END)),
  bad('a symbolic link', 'BUNDLE_UNSAFE_PATH', 'symbolic link', () => tarOf(entry({ name: `${TOP}/etc`, type: '2', linkname: '/etc' }), body(), END)),
  bad('a FIFO', 'BUNDLE_UNSAFE_PATH', 'FIFO', () => tarOf(body(), entry({ name: `${TOP}/fifo`, type: '6' }), END)),
  bad('a file name ending in "/" (node-tar makes it a folder)', 'BUNDLE_UNSAFE_PATH', 'ends with "/"', () => tarOf(body(), entry({ name: `${TOP}/lib/` }), END)),
  bad('a folder name without "/"', 'BUNDLE_UNSAFE_PATH', 'does not end with', () => tarOf(entry({ name: `${TOP}/lib`, type: '5' }), body(), END)),
  bad('the old NUL typeflag', A, 'NUL typeflag', () => tarOf(installSh({ type: '\0' }), END)),
  bad('a contiguous file (type 7)', A, 'type "7"', () => tarOf(installSh({ type: '7' }), END)),
  bad('file type bits in the mode', A, 'more than permission bits', () => tarOf(installSh({ mode: 0o100755 }), END)),
  bad('a world-writable top folder', A, 'not 0755', () => Buffer.concat([dirEntry('', { mode: 0o777 }), head().subarray(512), body(), END])),
  bad('a world-writable folder', A, 'not 0755', () => tarOf(dirEntry('lib', { mode: 0o777 }), body(), END)),
  bad('a setuid file', 'BUNDLE_FILE_MODIFIED', 'mode', () => tarOf(installSh({ mode: 0o4755 }), END)),
  bad('non-zero padding after data', A, 'padding', () => tarOf(installSh().fill(0x41, 512 + FILES[0].data.length, 1024), END)),
  bad('bytes after the NUL of a name', 'BUNDLE_UNSAFE_PATH', 'after its terminating NUL', () => tarOf(installSh({ patch: [[`${TOP}/install.sh`.length + 1, 'evil']] }), END)),
  bad('a name that is not UTF-8', 'BUNDLE_UNSAFE_PATH', 'not valid UTF-8', () =>
    tarOf(entry({ name: '', patch: [[0, Buffer.concat([Buffer.from(`${TOP}/`), Buffer.from([0xff, 0xfe])])]] }, EVIL), END),
  ),
  bad('a leading ./', 'BUNDLE_UNSAFE_PATH', "'.' segment", () => tarOf(entry({ name: `./${TOP}/install.sh`, mode: 0o755 }, FILES[0].data), END)),
  bad('a file in a folder the manifest does not list', 'BUNDLE_EXTRA_FILE', 'not listed', () => tarOf(body(), fileEntry('lib/x/evil.sh', EVIL), END)),
  bad('a second manifest', 'BUNDLE_EXTRA_FILE', 'bundle.json', () => tarOf(body(), entry({ name: `${TOP}/bundle.json` }, manifestBytes), END)),
  bad('a PAX header over the manifest', 'BUNDLE_UNSAFE_PATH', 'would fit', () =>
    Buffer.concat([
      dirEntry(''),
      pax(paxRecord('path', `${TOP}/bundle.json`)),
      entry({ name: `${TOP}/bundle.json` }, manifestBytes),
      entry({ name: `${TOP}/bundle.json.sig` }, signature),
      body(),
      END,
    ]),
  ),
  {
    name: 'a second gzip member after the end',
    gz: () => Buffer.concat([gz(good()), gz(fileEntry('evil.sh', EVIL), END)]),
    refused: { code: 'BUNDLE_CORRUPT', mention: 'after the end-of-archive marker' },
  },
  { name: 'garbage after the gzip stream', gz: () => Buffer.concat([gz(good()), Buffer.from('garbage!')]), refused: { code: 'BUNDLE_CORRUPT', mention: 'after its gzip stream' } },
];

/** every entry below root: path -> 'dir' or the file's bytes (anything else is reported as such) */
async function tree(root: string, rel = ''): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of await readdir(path.join(root, rel))) {
    const p = rel ? `${rel}/${name}` : name;
    const st = await lstat(path.join(root, p));
    if (st.isDirectory()) {
      out.set(p, 'dir');
      for (const [k, v] of await tree(root, p)) out.set(k, v);
    } else if (st.isFile()) out.set(p, sha(await readFile(path.join(root, p))));
    else out.set(p, 'special');
  }
  return out;
}

function expectedTree(): Map<string, string> {
  const want = new Map<string, string>([
    [TOP, 'dir'],
    [`${TOP}/bundle.json`, sha(manifestBytes)],
    [`${TOP}/bundle.json.sig`, sha(signature)],
  ]);
  for (const f of FILES) {
    const segs = f.path.split('/');
    for (let i = 1; i < segs.length; i++) want.set(`${TOP}/${segs.slice(0, i).join('/')}`, 'dir');
    want.set(`${TOP}/${f.path}`, sha(f.data));
  }
  return want;
}

/** extracts with GNU tar, bsdtar and node-tar; each must succeed and unpack exactly the manifest */
async function expectSameMeaning(file: string, label: string): Promise<void> {
  const want = Object.fromEntries(expectedTree());
  for (const tool of ['gnu', 'bsd', 'node'] as const) {
    const out = path.join(path.dirname(file), `x-${tool}-${path.basename(file)}`);
    await mkdir(out);
    if (tool === 'node') await nodeTar.x({ file, cwd: out, strict: true });
    else {
      const r = spawnSync(tool === 'gnu' ? 'tar' : 'bsdtar', ['-xzf', file, '-C', out], { encoding: 'utf8' });
      expect({ label, tool, status: r.status, stderr: r.stderr }).toEqual({ label, tool, status: 0, stderr: '' });
    }
    expect({ label, tool, tree: Object.fromEntries(await tree(out)) }).toEqual({ label, tool, tree: want });
  }
}

async function cliVerify(file: string): Promise<{ status: number; stderr: string }> {
  return promisify(execFile)(process.execPath, [CLI, 'verify', file, '--trust', keyFile]).then(
    () => ({ status: 0, stderr: '' }),
    (e: { code: number; stderr: string }) => ({ status: e.code, stderr: e.stderr }),
  );
}

beforeAll(async () => {
  dir = await tmpDir();
  const key = await signingKey(path.join(dir, 'keys'));
  keyFile = key.pub;
  manifestBytes = manifestOf(FILES);
  signature = key.sign(manifestBytes);
  for (const t of ['tar', 'bsdtar']) {
    if (spawnSync(t, ['--version']).status !== 0) throw new Error(`${t} is not installed (apt-get install -y ${t === 'tar' ? 'tar' : 'libarchive-tools'})`);
  }
});
afterAll(cleanup);

describe('every reader reads a bundle uphop accepts the same way', () => {
  it('the corpus: good forms are accepted and unpack identically everywhere; each hostile form is refused by its rule', async () => {
    const codesByCli = new Set<string>();
    for (const [i, c] of CASES.entries()) {
      const file = path.join(dir, `case-${i}.tar.gz`);
      if (c.name === WRITER) await writeWith(file);
      else await writeFile(file, c.gz());
      const verdict = await verifyBundle(file, { trust: keyFile }).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (!c.refused) {
        expect({ case: c.name, error: verdict && String(verdict) }).toEqual({ case: c.name, error: undefined });
        // acceptance is the CLI's: the same check as a user runs it
        expect({ case: c.name, ...(await cliVerify(file)) }).toEqual({ case: c.name, status: 0, stderr: '' });
        await expectSameMeaning(file, c.name);
        continue;
      }
      expect(isUphopError(verdict), `${c.name}: ${String(verdict)}`).toBe(true);
      const e = verdict as { code: string; exitCode: number; message: string };
      expect({ case: c.name, code: e.code, exitCode: e.exitCode }).toEqual({ case: c.name, code: c.refused.code, exitCode: 3 });
      expect(e.message, c.name).toContain(c.refused.mention);
      if (codesByCli.has(e.code)) continue;
      codesByCli.add(e.code); // one case per refusal code through the CLI too: exit 3, the code, no internal error
      const r = await cliVerify(file);
      expect({ case: c.name, status: r.status, code: /\[([A-Z_]+)\]/.exec(r.stderr)?.[1] }).toEqual({ case: c.name, status: 3, code: c.refused.code });
      expect(r.stderr).not.toContain('bug in uphop');
    }
  }, 120_000);

  it("why the reader is strict (and not node-tar's parser): on these forms some reader lists entries other than the manifest's", async () => {
    const disputed = [
      'a folder with a size and data (tar readers take the data for headers)',
      'an entry after a lone zero block (node-tar reads on)',
      'a file name ending in "/" (node-tar makes it a folder)',
      'two PAX headers in a row',
      'a global PAX header',
      'a symbolic link with data',
    ];
    const norm = (names: string[]) =>
      names
        .filter(Boolean)
        .map((n) => n.replace(/\/$/, ''))
        .sort()
        .join('\n');
    const good = path.join(dir, 'disputed-good.tar.gz');
    await writeFile(good, gz(tarOf(body(), END)));
    const list = async (file: string) => {
      const out: Record<string, string> = {};
      for (const tool of ['tar', 'bsdtar']) {
        const r = spawnSync(tool, ['-tzf', file], { encoding: 'utf8' });
        out[tool] = r.status === 0 ? norm(r.stdout.split('\n')) : 'error';
      }
      const seen: string[] = [];
      out.node = await nodeTar
        .t({
          file,
          onReadEntry: (e) => {
            seen.push(e.path);
          },
        })
        .then(
          () => norm(seen),
          () => 'error',
        );
      return out;
    };
    const want = await list(good);
    expect(new Set(Object.values(want)).size, JSON.stringify(want)).toBe(1); // the canonical form: all three agree
    for (const name of disputed) {
      const file = path.join(dir, `disputed-${disputed.indexOf(name)}.tar.gz`);
      await writeFile(file, CASES.find((x) => x.name === name)!.gz());
      const got = await list(file);
      const differs = Object.entries(got)
        .filter(([, names]) => names !== want.tar)
        .map(([tool]) => tool);
      if (process.env.UPHOP_DIFF_SHOW) console.log(`${name}: read differently by ${differs.join(', ')}`);
      expect(differs.length, `${name}: ${JSON.stringify(got)}`).toBeGreaterThan(0);
    }
  });

  it(
    'random mutations of a good bundle: whatever verify accepts, every reader unpacks as the manifest says',
    async () => {
      const seed = Number(process.env.UPHOP_DIFF_SEED ?? Date.now() % 1_000_000);
      const n = Number(process.env.UPHOP_DIFF_N ?? 100);
      console.log(`differential mutations: seed ${seed}, ${n} cases (UPHOP_DIFF_SEED=${seed} to replay)`);
      let s = seed;
      const rand = (k: number) => {
        s = (s * 1103515245 + 12345) % 2147483648;
        return s % k;
      };
      const base = good();
      const headers: number[] = [];
      for (let off = 0; off < base.length; off += 512) if (base.toString('latin1', off + 257, off + 263) === 'ustar\0') headers.push(off);
      const palette = ['0', '7', ' ', '\0', '/', '.', 'x', 'g', 'L', '5', '2', '\x80', '\xff', 'a'];
      let accepted = 0;
      for (let i = 0; i < n; i++) {
        const t = Buffer.from(base);
        const h = headers[rand(headers.length)];
        let mutated: Buffer = t;
        const kind = rand(6);
        if (kind < 4) {
          // a few bytes of one header, then (usually) a fixed checksum so the reader looks further
          for (let k = 0; k <= rand(3); k++) t.write(palette[rand(palette.length)], h + rand(512), 'latin1');
          if (rand(5) > 0) {
            t.fill(0x20, h + 148, h + 156);
            let sum = 0;
            for (let j = h; j < h + 512; j++) sum += t[j];
            t.write(sum.toString(8).padStart(6, '0') + '\0 ', h + 148, 'latin1');
          }
        } else if (kind === 4) {
          // a block duplicated or dropped
          const b = rand(t.length / 512) * 512;
          mutated = rand(2) ? Buffer.concat([t.subarray(0, b + 512), t.subarray(b)]) : Buffer.concat([t.subarray(0, b), t.subarray(b + 512)]);
        } else {
          // a byte of data or padding
          t[rand(t.length)] ^= 1 << rand(8);
        }
        const file = path.join(dir, `mut-${i}.tar.gz`);
        await writeFile(file, gzipSync(mutated));
        const verdict = await verifyBundle(file, { trust: keyFile }).then(
          () => 'ok',
          (e: unknown) => {
            if (!isUphopError(e) || e.exitCode !== 3) throw new Error(`mutation ${i} (seed ${seed}): not a refusal: ${String(e)}`);
            return e.code;
          },
        );
        if (verdict !== 'ok') continue;
        accepted++;
        expect((await cliVerify(file)).status).toBe(0);
        await expectSameMeaning(file, `mutation ${i} (seed ${seed})`);
      }
      expect(gunzipSync(gzipSync(base)).equals(base)).toBe(true);
      console.log(`differential mutations: ${accepted} of ${n} accepted, all unpacked identically`);
    },
    Math.max(120_000, Number(process.env.UPHOP_DIFF_N ?? 0) * 1000),
  );
});
