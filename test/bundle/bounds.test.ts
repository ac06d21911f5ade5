/**
 * Bounded work before trust: hostile inputs of a few MB (huge PAX headers,
 * gigabytes of zero blocks, a million copies of an entry, a signed manifest
 * claiming a terabyte over a gzip bomb, a giant or deeply nested bundle.json,
 * more folders than allowed) are refused by `uphop verify`, `inspect` and
 * `install`, each run as a child process with a 200 MB heap: running out of
 * memory would kill it (not exit 3), and peak RSS (which also counts buffers
 * outside the heap) must stay under 250 MB. Wall time is printed, not asserted
 * (the machine is shared).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileEntry } from '../../src/bundle/manifest.js';
import { ACME_TOP as TOP, acmeManifest, signingKey } from './fixtures.js';
import { END, entry, header, pax, paxRecord } from './raw-tar.js';

const CLI = path.resolve('dist/cli/main.js');
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const MB = 1024 * 1024;

let tmp: string;
let pub: string;
let sign: (b: Buffer) => Buffer;

const manifest = (files: Record<string, FileEntry>): Buffer => Buffer.from(JSON.stringify(acmeManifest(files)));
const signedHead = (m: Buffer) => Buffer.concat([entry({ name: `${TOP}/`, type: '5' }), entry({ name: `${TOP}/bundle.json` }, m), entry({ name: `${TOP}/bundle.json.sig` }, sign(m))]);
const EMPTY = { sha256: sha(Buffer.alloc(0)), size: 0, mode: '0644' };

/** `count` gzip members of 1 MB of zeros each: count MB once decompressed, about count KB on disk */
function zeroMembers(count: number): Buffer {
  const one = gzipSync(Buffer.alloc(MB), { level: 9 });
  return Buffer.concat(Array.from({ length: count }, () => one));
}

interface Run {
  status: number | null;
  signal: string | null;
  stderr: string;
  stdout: string;
  ms: number;
  maxRssKb: number;
}

/** the CLI under a 200 MB heap; peak RSS from the child's own resource usage */
function cli(args: string[]): Promise<Run> {
  const t0 = Date.now();
  const wrapper = `process.on('exit', () => process.stderr.write('\\nmaxrss=' + process.resourceUsage().maxRSS + '\\n')); await import(${JSON.stringify(CLI)});`;
  return new Promise((resolve) => {
    execFile(process.execPath, ['--max-old-space-size=200', '--input-type=module', '-e', wrapper, 'x', ...args], { timeout: 60_000, maxBuffer: 16 * MB }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: number; signal?: string }) | null;
      const rss = Number(/maxrss=(\d+)/.exec(stderr)?.[1] ?? 0);
      resolve({ status: e ? (typeof e.code === 'number' ? e.code : null) : 0, signal: e?.signal ?? null, stdout, stderr: stderr.replace(/\nmaxrss=\d+\n/, ''), ms: Date.now() - t0, maxRssKb: rss });
    });
  });
}

interface Case {
  name: string;
  make: () => Buffer;
  /** per command: [code expected, text in the message]; 'ok' = accepted (inspect reads only the head) */
  expect: Partial<Record<'verify' | 'inspect' | 'install', [string, string] | 'ok'>>;
}

const CASES: Case[] = [
  {
    name: 'a 100 MB PAX header',
    make: () => Buffer.concat([gzipSync(Buffer.concat([entry({ name: `${TOP}/`, type: '5' }), header({ name: 'PaxHeader/x', type: 'x', size: 100 * MB })])), zeroMembers(100)]),
    expect: { verify: ['BUNDLE_LIMIT', 'PAX header'], inspect: ['BUNDLE_LIMIT', 'PAX header'], install: ['BUNDLE_LIMIT', 'PAX header'] },
  },
  {
    name: 'two PAX headers in a row',
    make: () => gzipSync(Buffer.concat([pax(paxRecord('path', `${TOP}/${'a'.repeat(120)}`)), pax(paxRecord('path', `${TOP}/${'b'.repeat(120)}`)), END])),
    expect: { verify: ['BUNDLE_AMBIGUOUS', 'second PAX header'], inspect: ['BUNDLE_AMBIGUOUS', 'second PAX header'] },
  },
  {
    name: '3 GB of zero blocks after a signed head',
    make: () => Buffer.concat([gzipSync(Buffer.concat([signedHead(manifest({})), END])), zeroMembers(3000)]),
    expect: { verify: ['BUNDLE_CORRUPT', 'zero blocks'], inspect: 'ok', install: ['BUNDLE_CORRUPT', 'zero blocks'] },
  },
  {
    name: 'a million copies of one listed entry (1 GB)',
    make: () => {
      const thousand = gzipSync(Buffer.concat(Array.from({ length: 1000 }, () => entry({ name: `${TOP}/x` }))), { level: 9 });
      return Buffer.concat([gzipSync(signedHead(manifest({ x: EMPTY }))), ...Array.from({ length: 1000 }, () => thousand), gzipSync(END)]);
    },
    expect: { verify: ['BUNDLE_EXTRA_FILE', 'appears twice'], install: ['BUNDLE_EXTRA_FILE', 'appears twice'] },
  },
  {
    name: 'a signed manifest claiming 1 TiB over a gzip bomb of 3 GB',
    make: () => {
      const size = 2 ** 40;
      const m = manifest({ 'big.bin': { sha256: 'a'.repeat(64), size, mode: '0644' } });
      return Buffer.concat([gzipSync(Buffer.concat([signedHead(m), pax(paxRecord('size', String(size))), header({ name: `${TOP}/big.bin`, size: 0 })])), zeroMembers(3000)]);
    },
    expect: { verify: ['BUNDLE_LIMIT', 'decompression bomb'], inspect: 'ok', install: ['BUNDLE_NO_SPACE', 'nothing was written'] },
  },
  {
    name: 'a bundle.json claiming 1 GB',
    make: () => Buffer.concat([gzipSync(Buffer.concat([entry({ name: `${TOP}/`, type: '5' }), header({ name: `${TOP}/bundle.json`, size: 1024 * MB })])), zeroMembers(50)]),
    expect: { verify: ['BUNDLE_LIMIT', 'bundle.json'], inspect: ['BUNDLE_LIMIT', 'bundle.json'], install: ['BUNDLE_LIMIT', 'bundle.json'] },
  },
  {
    name: 'a signed, deeply nested bundle.json (JSON.parse alone would need gigabytes)',
    make: () => {
      const m = Buffer.from('['.repeat(2 * MB) + ']'.repeat(2 * MB));
      return gzipSync(Buffer.concat([signedHead(m), END]));
    },
    expect: { verify: ['BUNDLE_LIMIT', 'nests deeper'], inspect: ['BUNDLE_LIMIT', 'nests deeper'], install: ['BUNDLE_LIMIT', 'nests deeper'] },
  },
  {
    name: 'more folders than allowed (each listed file in its own folder)',
    make: () => {
      const n = 20_001;
      const files: Record<string, typeof EMPTY> = {};
      const parts: Buffer[] = [];
      for (let i = 0; i < n; i++) {
        const d = `d${String(i).padStart(5, '0')}`;
        files[`${d}/f`] = EMPTY;
        parts.push(entry({ name: `${TOP}/${d}/`, type: '5' }), entry({ name: `${TOP}/${d}/f` }));
      }
      return gzipSync(Buffer.concat([signedHead(manifest(files)), ...parts, END]));
    },
    expect: { verify: ['BUNDLE_LIMIT', 'more than 20000 folders'] },
  },
];

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'uphop-bounds-'));
  ({ pub, sign } = await signingKey(path.join(tmp, 'keys')));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe('hostile inputs are refused within bounded memory', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const dir = await mkdtemp(path.join(tmp, 'case-'));
      const file = path.join(dir, `${TOP}.tar.gz`);
      await writeFile(file, c.make());
      const size = (await stat(file)).size;
      expect(size).toBeLessThan(8 * MB); // "an input of a few MB"
      for (const [cmd, want] of Object.entries(c.expect)) {
        const root = path.join(dir, 'root');
        await mkdir(root, { recursive: true });
        const args = cmd === 'inspect' ? ['inspect', file] : cmd === 'verify' ? ['verify', file, '--trust', pub] : ['install', file, '--root', root, '--trust', pub];
        const r = await cli(args);
        console.log(`bounds: ${c.name}: ${cmd} of ${(size / MB).toFixed(1)} MB -> exit ${r.status}${r.signal ? ` (${r.signal})` : ''} in ${r.ms} ms, peak RSS ${(r.maxRssKb / 1024).toFixed(0)} MB`);
        expect(r.stderr).not.toContain('bug in uphop');
        expect(r.stderr).not.toContain('heap out of memory');
        expect(r.maxRssKb / 1024).toBeLessThan(250); // the heap limit does not cover buffers: peak RSS does
        if (want === 'ok') {
          expect({ cmd, status: r.status }).toEqual({ cmd, status: 0 });
          continue;
        }
        expect({ cmd, status: r.status, code: /\[([A-Z_]+)\]/.exec(r.stderr)?.[1] }).toEqual({ cmd, status: 3, code: want[0] });
        expect(r.stderr).toContain(want[1]);
        if (cmd === 'install') expect(await readdir(path.join(root, 'var/lib/uphop/bundles')).catch(() => [])).toEqual([]);
      }
    }, 180_000);
  }
});
