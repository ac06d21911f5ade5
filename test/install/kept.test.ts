/**
 * A kept bundle copy after an installer was killed while replacing it with another
 * build of the same hop (real folders; a dead installer's pid from a real process).
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { layout, type Layout } from '../../src/install/layout.js';
import { recoverKept } from '../../src/install/kept.js';

const ID = 'beacon-4.0.1-to-4.1.1';
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid;
let L: Layout;

async function copy(dir: string, build: string) {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'bundle.json'), JSON.stringify({ build }));
}
const buildIn = async (dir: string) => JSON.parse(await readFile(path.join(dir, 'bundle.json'), 'utf8')).build;

beforeEach(async () => {
  L = layout(await mkdtemp(path.join(tmpdir(), 'uphop-kept-')));
});
afterEach(() => rm(L.root, { recursive: true, force: true }));

describe('recoverKept', () => {
  it('puts the old copy back when the kill came between the two renames (no copy in place)', async () => {
    await copy(`${L.bundle(ID)}.previous-${deadPid()}`, 'old');
    await recoverKept(L, ID);
    expect(await buildIn(L.bundle(ID))).toBe('old');
    expect(await readdir(L.bundlesDir)).toEqual([ID]);
  });

  it('puts the old copy back when the kill came after both renames, before the install began', async () => {
    await copy(L.bundle(ID), 'new');
    await copy(`${L.bundle(ID)}.previous-${deadPid()}`, 'old');
    await recoverKept(L, ID);
    expect(await buildIn(L.bundle(ID))).toBe('old');
    expect(await readdir(L.bundlesDir)).toEqual([ID]);
  });

  it("leaves a running installer's aside alone, and other hops' copies", async () => {
    const other = `beacon-3.4.2-to-4.0.1.previous-${deadPid()}`;
    await copy(L.bundle(ID), 'new');
    await copy(`${L.bundle(ID)}.previous-${process.pid}`, 'old');
    await copy(path.join(L.bundlesDir, other), 'other');
    await recoverKept(L, ID);
    expect(await buildIn(L.bundle(ID))).toBe('new');
    expect((await readdir(L.bundlesDir)).sort()).toEqual([ID, `${ID}.previous-${process.pid}`, other].sort());
  });

  it('removes what a killed delete left in the trash', async () => {
    await copy(L.bundle(ID), 'current');
    await copy(`${L.bundle(ID)}.trash-${deadPid()}`, 'half-deleted');
    await recoverKept(L, ID);
    expect(await readdir(L.bundlesDir)).toEqual([ID]);
    expect(await buildIn(L.bundle(ID))).toBe('current');
  });
});
