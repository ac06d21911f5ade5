/**
 * kill -9 of the installer right after each step begins (UPHOP_CRASH_AT): the
 * manager is never stuck. `status` says it was interrupted and what to run;
 * `resume` reaches the new version healthy; `rollback` returns to the old one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INSTALL_STEPS } from '../../src/install/steps/index.js';
import { bundle, cli, health, sandbox, type Sandbox } from '../helpers/manager.js';

const HOP = '4.0.1-to-4.1.1';

describe('the installer killed after each step begins', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await sandbox('sqlite');
    for (const hop of ['none-to-3.4.2', '3.4.2-to-4.0.1']) {
      const r = await cli(['install', bundle(hop), '--root', sb.root, '--values', sb.valuesFile, '--allow-unsigned']);
      if (r.code !== 0) throw new Error(r.stderr);
    }
    await sb
      .db()('items')
      .insert([{ name: 'survives every crash' }]);
  });
  afterAll(() => sb?.cleanup());

  const crash = async (step: string) => {
    const r = await cli(['install', bundle(HOP), '--root', sb.root, '--allow-unsigned'], { UPHOP_CRASH_AT: step });
    expect(r.code, r.stderr).toBe(137);
    const st = JSON.parse((await cli(['status', '--root', sb.root, '--json'])).stdout);
    expect(st).toMatchObject({ state: 'interrupted', interrupted: { bundle: `beacon-${HOP}`, lastStep: step } });
    expect(st.next).toContain('uphop resume');
  };

  const expectOn = async (version: string) => {
    expect(await health(sb.restPort)).toMatchObject({ status: 200, body: { version } });
    expect(JSON.parse((await cli(['status', '--root', sb.root, '--json'])).stdout)).toMatchObject({ state: 'installed', version });
    const items = (await (await fetch(`http://127.0.0.1:${sb.restPort}/items`)).json()) as any[];
    expect(items.map((i) => i.name)).toContain('survives every crash');
  };

  // "record version" is the install's commit point: a kill after it leaves the hop completed
  const committedAt = INSTALL_STEPS.findIndex((s) => s.name === 'record version');
  for (const { name } of INSTALL_STEPS.slice(committedAt + 1)) {
    it(`"${name}" (after the commit): the hop is installed and in the history; rollback returns to 4.0.1`, async () => {
      const r = await cli(['install', bundle(HOP), '--root', sb.root, '--allow-unsigned'], { UPHOP_CRASH_AT: name });
      expect(r.code, r.stderr).toBe(137);
      await expectOn('4.1.1');
      const h = JSON.parse((await cli(['history', '--root', sb.root, '--json'])).stdout);
      expect(h.hops.at(-1)).toMatchObject({ from: '4.0.1', to: '4.1.1', result: 'succeeded' });
      expect((await cli(['resume', '--root', sb.root])).code).toBe(2);
      const rolled = await cli(['rollback', '--root', sb.root]);
      expect(rolled.code, rolled.stderr).toBe(0);
      await expectOn('4.0.1');
    });
  }

  for (const { name } of INSTALL_STEPS.slice(0, committedAt + 1)) {
    it(`"${name}": resume finishes the hop, rollback returns to 4.0.1`, async () => {
      await crash(name);
      const resumed = await cli(['resume', '--root', sb.root]);
      expect(resumed.code, resumed.stderr).toBe(0);
      await expectOn('4.1.1');
      // back to 4.0.1 (rollback of the completed hop) to crash again
      const back = await cli(['rollback', '--root', sb.root]);
      expect(back.code, back.stderr).toBe(0);
      await expectOn('4.0.1');

      await crash(name);
      const rolled = await cli(['rollback', '--root', sb.root]);
      expect(rolled.code, rolled.stderr).toBe(0);
      await expectOn('4.0.1');
    });
  }
});
