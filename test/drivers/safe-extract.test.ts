import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { extractTarSafely, unsafeReason } from '../../src/drivers/packages/safe-extract.js';
import type { UphopError } from '../../src/errors.js';
import { END, entry } from '../bundle/raw-tar.js';

/** feed entries in archive order, as the extractors do; returns the first refusal */
function firstRefusal(entries: Array<{ path: string; type: string; linkpath?: string }>): string | null {
  const symlinks = new Set<string>();
  for (const e of entries) {
    const why = unsafeReason(e as never, symlinks);
    if (why) return `${e.path}: ${why}`;
  }
  return null;
}

describe('archive entry refusals', () => {
  it('accepts an ordinary release tree with inner links', () => {
    expect(
      firstRefusal([
        { path: './', type: 'Directory' },
        { path: './bin/server.js', type: 'File' },
        { path: './main.js', type: 'SymbolicLink', linkpath: 'bin/server.js' },
        { path: './bin/up.js', type: 'SymbolicLink', linkpath: '../main.js' },
        { path: './bin/copy.js', type: 'Link', linkpath: 'bin/server.js' },
      ]),
    ).toBeNull();
  });

  it('refuses every way out of the release folder', () => {
    expect(firstRefusal([{ path: 'a/../../x', type: 'File' }])).toContain('".."');
    expect(firstRefusal([{ path: '/etc/passwd', type: 'File' }])).toContain('absolute path');
    expect(firstRefusal([{ path: 'C:/x', type: 'File' }])).toContain('absolute path');
    expect(firstRefusal([{ path: 'a/b', type: 'SymbolicLink', linkpath: '../../x' }])).toContain('pointing outside');
    expect(firstRefusal([{ path: 'l', type: 'SymbolicLink', linkpath: '/etc' }])).toContain('absolute path /etc');
    expect(firstRefusal([{ path: 'h', type: 'Link', linkpath: '../x' }])).toContain('hard link pointing outside');
    expect(firstRefusal([{ path: 'dev', type: 'BlockDevice' }])).toContain('BlockDevice');
  });

  it('refuses what only escapes through another symlink of the same archive', () => {
    // write through a link: l -> sub, then l/x lands in sub (or wherever l points)
    expect(
      firstRefusal([
        { path: 'l', type: 'SymbolicLink', linkpath: 'sub' },
        { path: 'l/x', type: 'File' },
      ]),
    ).toContain('through a symbolic link');
    // here -> "." makes "here/.." the parent of the release, though it reads as "."
    expect(
      firstRefusal([
        { path: 'here', type: 'SymbolicLink', linkpath: '.' },
        { path: 'up', type: 'SymbolicLink', linkpath: 'here/..' },
      ]),
    ).toContain('through another one');
    // a hard link copies a symlink to a place where its relative target means something else
    expect(
      firstRefusal([
        { path: 'a/b/c', type: 'SymbolicLink', linkpath: '../x' },
        { path: 'd', type: 'Link', linkpath: 'a/b/c' },
      ]),
    ).toContain('hard link to a symbolic link');
  });
});

describe('a symbolic link may not leave its release once everything is unpacked, whatever the entry order', () => {
  /** a world folder holding the release and a sentinel beside it; returns what the unpack did */
  async function unpack(entries: Buffer[]) {
    const world = await mkdtemp(path.join(os.tmpdir(), 'uphop-links-'));
    const release = path.join(world, 'opt', 'releases', '1.0.0');
    await mkdir(release, { recursive: true });
    await writeFile(path.join(world, 'sentinel'), 'untouched');
    const before = await listTree(world, release);
    const err = await extractTarSafely(Readable.from([Buffer.concat([...entries, END])]), release, 'pkg.tgz').then(
      () => undefined,
      (e: unknown) => e as UphopError,
    );
    const after = await listTree(world, release);
    await rm(world, { recursive: true, force: true });
    return { err, outsideUnchanged: JSON.stringify(before) === JSON.stringify(after) };
  }
  /** every path under world except inside the release, with file contents */
  async function listTree(world: string, release: string): Promise<string[]> {
    const out: string[] = [];
    const walk = async (d: string) => {
      for (const e of await readdir(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (p === release) continue;
        out.push(e.isFile() ? `${p}=${await readFile(p, 'utf8')}` : p);
        if (e.isDirectory()) await walk(p);
      }
    };
    await walk(world);
    return out.sort();
  }
  const dir = (name: string) => entry({ name, type: '5', mode: 0o755 });
  const file = (name: string, text = 'x') => entry({ name }, Buffer.from(text));
  const link = (name: string, to: string) => entry({ name, type: '2', linkname: to });

  it('accepts links that stay inside (control)', async () => {
    const r = await unpack([dir('bin/'), file('bin/server.js'), link('main.js', 'bin/server.js'), link('bin/self', '../bin/./server.js'), link('dangling', 'later/x')]);
    expect(r.err).toBeUndefined();
    expect(r.outsideUnchanged).toBe(true);
  });

  const attacks: [string, Buffer[]][] = [
    ['a link made harmless-looking, then a link it passes through pointing up', [dir('d/'), link('d/l', 'sub/../..'), link('d/sub', '..')]],
    ['the same with the pieces reversed in depth', [link('a/b/l', 'c/../../..'), dir('a/'), link('a/b/c', '../..')]],
    ['a link first, a file through it later', [link('a', '../..'), file('a/x', 'escaped')]],
    ['an empty folder replaced by a link after another link relied on it', [dir('d/'), dir('d/sub/'), link('d/l', 'sub/../..'), link('d/sub', '..')]],
    ['a link chain that climbs only at its end', [link('one', 'two/..'), link('two', 'three/../..'), dir('three/')]],
  ];
  for (const [what, entries] of attacks) {
    it(`refuses ${what}`, async () => {
      const r = await unpack(entries);
      expect(r.err?.code).toBe('PACKAGE_UNSAFE_ENTRY');
      expect(r.err?.message).not.toContain('bug in uphop');
      expect(r.outsideUnchanged).toBe(true);
    });
  }
});
