/**
 * `npm test` starts with `npm run lint` (Biome's lint + format check, then
 * dependency-cruiser's cycle check). These run the same tools with the repo's own
 * configs on a scratch tree holding a planted cycle and a planted format error,
 * so a config that stopped catching them fails here.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const repo = process.cwd();
const bin = (name: string) => path.join(repo, 'node_modules', '.bin', name);
const scratch = mkdtempSync(path.join(tmpdir(), 'uphop-lint-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function tree(files: Record<string, string>) {
  const dir = mkdtempSync(path.join(scratch, 't-'));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  copyFileSync(path.join(repo, '.dependency-cruiser.cjs'), path.join(dir, '.dependency-cruiser.cjs'));
  copyFileSync(path.join(repo, 'tsconfig.json'), path.join(dir, 'tsconfig.json'));
  copyFileSync(path.join(repo, 'biome.json'), path.join(dir, 'biome.json'));
  return dir;
}

describe('npm run lint', () => {
  it('fails on an import cycle, type-only imports included', () => {
    const dir = tree({
      'src/a.ts': "import type { B } from './b.js';\nexport interface A { b?: B }\n",
      'src/b.ts': "import type { A } from './a.js';\nexport interface B { a?: A }\n",
    });
    const r = spawnSync(bin('depcruise'), ['src', '--config', '.dependency-cruiser.cjs'], { cwd: dir, encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stdout).toMatch(/no-circular/);
  });

  it('passes the same tree without the cycle', () => {
    const dir = tree({ 'src/a.ts': "import type { B } from './b.js';\nexport interface A { b?: B }\n", 'src/b.ts': 'export interface B { n?: number }\n' });
    const r = spawnSync(bin('depcruise'), ['src', '--config', '.dependency-cruiser.cjs'], { cwd: dir, encoding: 'utf8' });
    expect(r.status, r.stdout).toBe(0);
  });

  it('fails on a file the formatter would change and on a lint error', () => {
    const badFormat = tree({ 'src/a.ts': 'export const a = {x:1,   y:2}\n' });
    expect(spawnSync(bin('biome'), ['check', '.'], { cwd: badFormat, encoding: 'utf8' }).status).not.toBe(0);
    const badLint = tree({ 'src/a.ts': 'export function f(x: number) {\n  return x;\n  x++;\n}\nexport const g = () => { debugger; };\n' });
    expect(spawnSync(bin('biome'), ['lint', '.'], { cwd: badLint, encoding: 'utf8' }).status).not.toBe(0);
    const good = tree({ 'src/a.ts': 'export const a = { x: 1, y: 2 };\n' });
    const r = spawnSync(bin('biome'), ['check', '.'], { cwd: good, encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });
});
