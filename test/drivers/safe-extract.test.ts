import { describe, expect, it } from 'vitest';
import { unsafeReason } from '../../src/drivers/packages/safe-extract.js';

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
    expect(firstRefusal([
      { path: './', type: 'Directory' },
      { path: './bin/server.js', type: 'File' },
      { path: './main.js', type: 'SymbolicLink', linkpath: 'bin/server.js' },
      { path: './bin/up.js', type: 'SymbolicLink', linkpath: '../main.js' },
      { path: './bin/copy.js', type: 'Link', linkpath: 'bin/server.js' },
    ])).toBeNull();
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
    expect(firstRefusal([
      { path: 'l', type: 'SymbolicLink', linkpath: 'sub' },
      { path: 'l/x', type: 'File' },
    ])).toContain('through a symbolic link');
    // here -> "." makes "here/.." the parent of the release, though it reads as "."
    expect(firstRefusal([
      { path: 'here', type: 'SymbolicLink', linkpath: '.' },
      { path: 'up', type: 'SymbolicLink', linkpath: 'here/..' },
    ])).toContain('through another one');
    // a hard link copies a symlink to a place where its relative target means something else
    expect(firstRefusal([
      { path: 'a/b/c', type: 'SymbolicLink', linkpath: '../x' },
      { path: 'd', type: 'Link', linkpath: 'a/b/c' },
    ])).toContain('hard link to a symbolic link');
  });
});
