/**
 * The commit points of an install: state.json (installed version + history, one
 * atomic replace) is written before the journal's final record, and recovery reads
 * state first. So a kill at any instant around the end of an install or a rollback
 * leaves one of: interrupted at a step, or completed, and `status`, `history` and
 * `rollback` agree on which. A rollback never undoes a hop other than the one state
 * and history agree on, and a fresh install is rolled back only with --force.
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundle, cli, health, sandbox, type Sandbox, installHops, sandboxOn401 } from '../helpers/manager.js';
import { expectError, status } from './manager-state.js';

const HOP = '4.0.1-to-4.1.1';
const ITEM = 'survives every commit point';

async function items(sb: Sandbox): Promise<string[]> {
  return (await sb.db()('items').select('name')).map((r: any) => r.name);
}

async function hops(sb: Sandbox): Promise<string[]> {
  const h = JSON.parse((await cli(['history', '--root', sb.root, '--json'])).stdout);
  return h.hops.map((x: any) => `${x.from}->${x.to}:${x.result}`);
}

async function expectHealthyOn(sb: Sandbox, version: string) {
  expect(await health(sb.restPort)).toMatchObject({ status: 200, body: { version } });
  const st = await status(sb.root);
  expect(st).toMatchObject({ state: 'installed', version });
  expect(st.interrupted).toBeUndefined();
  expect(await items(sb)).toContain(ITEM);
}

describe('commit points of an install and a rollback', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await sandboxOn401({ items: [ITEM] });
  });
  afterAll(() => sb?.cleanup());

  it('state that lost its last hop (as older uphop left it) is refused by rollback: the fresh install before it is not undone', async () => {
    const stateFile = path.join(sb.root, 'var/lib/uphop/state.json');
    const original = await readFile(stateFile, 'utf8');
    const torn = JSON.parse(original);
    torn.history = torn.history.slice(0, -1); // 3.4.2 -> 4.0.1 missing, version 4.0.1
    await writeFile(stateFile, JSON.stringify(torn, null, 2));
    await mkdir(path.join(sb.root, 'var/lock'), { recursive: true });
    await writeFile(
      path.join(sb.root, 'var/lock/uphop.lock'),
      JSON.stringify({ pid: 999999, startTime: '1', host: (await import('node:os')).hostname(), bundle: 'beacon-3.4.2-to-4.0.1', since: new Date().toISOString() }),
    );
    try {
      const r = await cli(['rollback', '--root', sb.root]);
      expectError(r, 3, 'HISTORY_MISMATCH', /4\.0\.1 is installed but the last hop in the history is none -> 3\.4\.2/);
      await expectHealthyOn(sb, '4.0.1');
      expect(await readFile(path.join(sb.root, 'etc/beacon/values.yaml'), 'utf8')).toContain('rest_port');
    } finally {
      await writeFile(stateFile, original);
    }
  });

  for (const at of ['prune releases', 'done']) {
    it(`killed after the commit (at "${at}"): installed, in the history, and rollback undoes only that hop`, async () => {
      const r = await cli(['install', bundle(HOP), '--root', sb.root, '--allow-unsigned'], { UPHOP_CRASH_AT: at });
      expect(r.code, r.stderr).toBe(137);
      await expectHealthyOn(sb, '4.1.1');
      expect((await hops(sb)).at(-1)).toBe('4.0.1->4.1.1:succeeded');

      const back = await cli(['rollback', '--root', sb.root]);
      expect(back.code, back.stderr).toBe(0);
      expect(back.stdout).toContain(`rolled back beacon-${HOP}: the manager is on beacon 4.0.1`);
      await expectHealthyOn(sb, '4.0.1');
      expect((await hops(sb)).slice(-2)).toEqual(['4.0.1->4.1.1:succeeded', '4.0.1->4.1.1:rolled-back']);

      // the hop is undone: a second rollback would undo 3.4.2 -> 4.0.1 without anyone having upgraded now
      const again = await cli(['rollback', '--root', sb.root]);
      expectError(again, 2, 'NOTHING_TO_ROLL_BACK', /last hop in the history \(4\.0\.1 -> 4\.1\.1\) was already rolled back/);
      await expectHealthyOn(sb, '4.0.1');
    });
  }

  it('a rollback killed in its middle is "interrupted, rolling back"; rollback finishes it', async () => {
    expect((await cli(['install', bundle(HOP), '--root', sb.root, '--allow-unsigned'])).code).toBe(0);
    const r = await cli(['rollback', '--root', sb.root], { UPHOP_CRASH_AT: 'undo migrate schema' });
    expect(r.code, r.stderr).toBe(137);
    const st = await status(sb.root);
    expect(st).toMatchObject({ state: 'interrupted', interrupted: { bundle: `beacon-${HOP}`, rollingBack: true } });
    expect(st.next).toBe(`uphop rollback --root ${sb.root}`);
    expect((await cli(['resume', '--root', sb.root])).code).toBe(3);
    const back = await cli(['rollback', '--root', sb.root]);
    expect(back.code, back.stderr).toBe(0);
    await expectHealthyOn(sb, '4.0.1');
    expect((await hops(sb)).at(-1)).toBe('4.0.1->4.1.1:rolled-back');
  });

  it('a rollback killed after its commit: back on 4.0.1, the rollback is in the history, nothing more to roll back', async () => {
    expect((await cli(['install', bundle(HOP), '--root', sb.root, '--allow-unsigned'])).code).toBe(0);
    const r = await cli(['rollback', '--root', sb.root], { UPHOP_CRASH_AT: 'rolled back' });
    expect(r.code, r.stderr).toBe(137);
    const st = await status(sb.root);
    expect(st).toMatchObject({ state: 'installed', version: '4.0.1' });
    expect((await hops(sb)).at(-1)).toBe('4.0.1->4.1.1:rolled-back');
    // the old services were started and checked before the commit
    expect(await health(sb.restPort)).toMatchObject({ status: 200, body: { version: '4.0.1' } });
    expectError(await cli(['rollback', '--root', sb.root]), 2, 'NOTHING_TO_ROLL_BACK');
    // and the next install goes ahead
    const again = await cli(['install', bundle(HOP), '--root', sb.root, '--allow-unsigned']);
    expect(again.code, again.stderr).toBe(0);
    await expectHealthyOn(sb, '4.1.1');
  });
});

describe('rolling back a fresh install', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await sandbox('sqlite');
    await installHops(sb, [bundle('none-to-3.4.2')]);
    await sb
      .db()('items')
      .insert([{ name: ITEM }]);
  });
  afterAll(() => sb?.cleanup());

  it('is refused without --force, naming what it would delete; nothing changes', async () => {
    const r = await cli(['rollback', '--root', sb.root]);
    expectError(r, 3, 'ROLLBACK_FRESH_INSTALL', /would leave nothing installed/, /--force/);
    expect(r.stderr).toContain('etc/beacon/values.yaml');
    expect(r.stderr).toMatch(/down migrations of 3\.4\.2/);
    await expectHealthyOn(sb, '3.4.2');
  });

  it('with --force removes it', async () => {
    const r = await cli(['rollback', '--root', sb.root, '--force']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('the manager is on nothing installed');
    expect(await status(sb.root)).toMatchObject({ state: 'not-installed' });
    expect(await health(sb.restPort)).toMatchObject({ status: 0 });
  });
});
