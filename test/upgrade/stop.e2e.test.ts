/**
 * An upgrade whose middle hop fails (its new version never passes the health
 * check) stops there: the manager is left healthy on the last good version, and
 * the error names what succeeded and the command that continues — which, once
 * the publisher fixed the bundle, takes the manager the rest of the way.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, health, sandbox, type Sandbox } from '../helpers/manager.js';
import { variant, type Variant } from '../helpers/variant.js';
import { cleanup, tmp } from '../store/helpers.js';
import { buildSigned, buildSignedHop, keygen, type Keys } from './fixtures.js';

const BAD = '4.0.1-to-4.1.1';
let keys: Keys;
let signed: string;
let v: Variant;
let store: string;
let sb: Sandbox;
let continueWith: string;

beforeAll(async () => {
  keys = await keygen(await tmp());
  signed = await buildSigned(keys, await tmp());
  v = await variant();
  await v.editSpec(BAD, (s) => {
    s.services.health[0].body = '"version":"9.9.9"';
    s.services.health[0].timeout = '3s';
  });
  const bad = await buildSignedHop(path.join(v.dir, 'bundles', BAD), keys, await tmp());
  const good = (await readdir(signed)).filter((f) => f.endsWith('.tar.gz') && !f.includes(BAD)).map((f) => path.join(signed, f));
  store = `file://${await tmp()}`;
  const r = await cli(['publish', ...good, bad, '--store', store, '--sign-key', keys.key]);
  expect(r.code, r.stderr).toBe(0);
  sb = await sandbox('sqlite');
}, 180_000);
afterAll(async () => {
  await sb?.cleanup();
  await v?.cleanup();
  await cleanup();
});

const upgrade = (...args: string[]) => cli(['upgrade', '--store', store, '--root', sb.root, '--trust', keys.pub, ...args]);
const history = async () => JSON.parse((await cli(['history', '--root', sb.root, '--json'])).stdout).hops.map((h: any) => `${h.from}->${h.to}:${h.result}`);

describe('an upgrade whose middle hop fails', () => {
  it('installs fresh through the store when given --values', async () => {
    const r = await upgrade('--to', '3.4.2', '--values', sb.valuesFile);
    expect(r.code, r.stderr).toBe(0);
    expect((await health(sb.restPort)).body.version).toBe('3.4.2');
  }, 120_000);

  it('stops at that hop, healthy on the last good version, naming the way to continue', async () => {
    const r = await upgrade('--to', '4.2.0');
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('UPGRADE_STOPPED');
    expect(r.stderr).toContain('stopped at hop 2 of 3 (4.0.1 -> 4.1.1) after 3.4.2 -> 4.0.1 succeeded: beacon is on 4.0.1 and healthy');
    expect(r.stderr).toMatch(/HEALTH_CHECK_FAILED.*rolled back/);
    continueWith = /run "(uphop upgrade [^"]+)" to continue from 4\.0\.1/.exec(r.stderr)?.[1] ?? '';
    expect(continueWith).toBe(`uphop upgrade --to 4.2.0 --store ${store} --root ${sb.root} --trust ${keys.pub}`);
    expect(await health(sb.restPort)).toMatchObject({ status: 200, body: { version: '4.0.1' } });
    expect(await history()).toEqual(['none->3.4.2:succeeded', '3.4.2->4.0.1:succeeded', '4.0.1->4.1.1:rolled-back']);
    // what is left to install stays downloaded for the next run
    expect((await readdir(path.join(sb.root, 'var/lib/uphop/downloads'))).sort()).toEqual([
      'beacon-4.0.1-to-4.1.1.tar.gz',
      'beacon-4.0.1-to-4.1.1.tar.gz.sig',
      'beacon-4.1.1-to-4.2.0.tar.gz',
      'beacon-4.1.1-to-4.2.0.tar.gz.sig',
    ]);
  }, 180_000);

  it('with --no-rollback leaves the hop for resume or rollback, and says so', async () => {
    const r = await upgrade('--to', '4.2.0', '--no-rollback');
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain("stopped at hop 1 of 2 (4.0.1 -> 4.1.1) before any hop was installed; that hop's install was left unfinished");
    expect(r.stderr).toContain(`"uphop resume --root ${sb.root}" to finish that hop`);
    expect(r.stderr).toContain(`"uphop rollback --root ${sb.root}" to return to 4.0.1`);
    const again = await upgrade('--to', '4.2.0');
    expect(again.code).toBe(3);
    expect(again.stderr).toContain('INSTALL_INTERRUPTED');
    const back = await cli(['rollback', '--root', sb.root]);
    expect(back.code, back.stderr).toBe(0);
    expect(await health(sb.restPort)).toMatchObject({ status: 200, body: { version: '4.0.1' } });
  }, 180_000);

  it('continues to 4.2.0 with the named command once the bundle is fixed', async () => {
    const fix = await cli(['publish', path.join(signed, `beacon-${BAD}.tar.gz`), '--store', store, '--sign-key', keys.key, '--replace']);
    expect(fix.code, fix.stderr).toBe(0);
    const r = await cli(continueWith.split(' ').slice(1));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('beacon 4.0.1 -> 4.2.0 upgraded in 2 hops');
    expect(await health(sb.restPort)).toMatchObject({ status: 200, body: { version: '4.2.0' } });
    expect((await history()).at(-2)).toBe('4.0.1->4.1.1:succeeded');
    expect((await history()).at(-1)).toBe('4.1.1->4.2.0:succeeded');
  }, 180_000);
});
