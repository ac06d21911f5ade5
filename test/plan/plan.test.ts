/** uphop plan from a folder of bundles, a store, and a manager root; the CLI commands as users call them. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/parse.js';
import { planCommand } from '../../src/cli/commands/plan.js';
import { publishCommand } from '../../src/cli/commands/publish.js';
import { fetchCommand } from '../../src/cli/commands/fetch.js';
import type { UphopEvent } from '../../src/events.js';
import { plan } from '../../src/plan/plan.js';
import { cleanup, keys, makeBundle, startS3, tmp, BUCKET, type S3Fixture } from '../store/helpers.js';

let dir: string;
let s3: S3Fixture;
let k: Awaited<ReturnType<typeof keys>>;
beforeAll(async () => {
  s3 = await startS3();
  dir = await tmp();
  k = await keys(await tmp());
  for (const [from, to] of [
    ['none', '3.4.2'],
    ['3.4.2', '4.0.1'],
    ['4.0.1', '4.1.1'],
    ['4.1.1', '4.2.0'],
  ])
    await makeBundle(dir, { from, to, signKey: k.key });
});
afterAll(async () => {
  await s3.stop();
  await cleanup();
});

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const parsed = await parseArgs(argv, [publishCommand, planCommand, fetchCommand]);
  const events: UphopEvent[] = [];
  const { result } = await parsed.command!.run(parsed.options, { emit: (e) => events.push(e), cwd: dir, env });
  return { result, text: parsed.command!.human!(result, parsed.options), events };
}

describe('plan', () => {
  it('from a folder of bundle files', async () => {
    const r = await plan({ from: '3.4.2', to: '4.2.0', bundles: dir });
    expect(r.hops.map((h) => h.file)).toEqual(['beacon-3.4.2-to-4.0.1.tar.gz', 'beacon-4.0.1-to-4.1.1.tar.gz', 'beacon-4.1.1-to-4.2.0.tar.gz']);
    expect(r.totalBytes).toBeGreaterThan(0);
  });

  it('reads the installed version from <root>/var/lib/uphop/state.json', async () => {
    const root = await tmp();
    await mkdir(path.join(root, 'var/lib/uphop'), { recursive: true });
    await writeFile(path.join(root, 'var/lib/uphop/state.json'), JSON.stringify({ product: 'beacon', version: '4.0.1', history: [] }));
    const r = await plan({ root, to: 'latest', bundles: dir });
    expect(r).toMatchObject({ product: 'beacon', from: '4.0.1', to: '4.2.0' });
    expect(r.hops).toHaveLength(2);
  });

  it('says so when the root has no state file', async () => {
    const root = await tmp();
    const err = await plan({ root, to: '4.2.0', bundles: dir }).catch((e) => e);
    expect(err).toMatchObject({ code: 'STATE_MISSING', exitCode: 2 });
    expect(err.message).toBe(`${path.join(root, 'var/lib/uphop/state.json')} does not exist: no uphop install is recorded under ${root}.`);
  });

  it('lists the reachable versions when there is no path', async () => {
    const err = await plan({ from: '4.1.1', to: '5.0.0', bundles: dir }).catch((e) => e);
    expect(err).toMatchObject({ code: 'NO_PATH', exitCode: 2 });
    expect(err.problems[0].message).toBe('reachable from 4.1.1: 4.2.0');
    expect(err.problems[1].message).toBe('leading to 5.0.0: nothing');
  });
});

describe('the publish, plan and fetch commands', () => {
  it('publish to s3 with the endpoint options, plan and fetch from it, with readable output', async () => {
    const env = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', UPHOP_HOME: await tmp() };
    const store = `s3://${BUCKET}/cli`;
    const s3args = ['--store', store, '--endpoint', s3.endpoint, '--path-style'];
    const pub = await cli(['publish', 'beacon-4.0.1-to-4.1.1.tar.gz', 'beacon-4.1.1-to-4.2.0.tar.gz', ...s3args, '--sign-key', k.key, '--expires-days', '7'], env);
    expect(pub.text).toContain('uploaded  beacon-4.0.1-to-4.1.1.tar.gz');
    expect(pub.text).toContain('version 1, 2 hops, signed');

    const p = await cli(['plan', '--from', '4.0.1', '--to', '4.2.0', ...s3args, '--trust', k.pub], env);
    expect(p.text.split('\n')[0]).toMatch(/^beacon 4\.0\.1 -> 4\.2\.0: 2 hops, .* \(from s3:\/\/bundles\/cli\)$/);

    const f = await cli(['fetch', '--from', '4.0.1', '--to', '4.2.0', ...s3args, '--trust', k.pub, '--out', 'dl'], env);
    expect(f.text).toContain(`downloaded ${path.join(dir, 'dl', 'beacon-4.0.1-to-4.1.1.tar.gz')}`);
    expect(f.text).toContain(`signed by ${k.fingerprint}`);
    expect(f.events.some((e) => e.type === 'progress' && e.unit === 'bytes')).toBe(true);
  });

  // s3rver checks the access key id but not v4 signatures, so the wrong credential here is the key id
  it('wrong credentials and a missing bucket are one sentence with a hint', async () => {
    const wrong = await cli(['plan', '--from', '4.0.1', '--to', '4.2.0', '--store', `s3://${BUCKET}/cli`, '--endpoint', s3.endpoint], {
      AWS_ACCESS_KEY_ID: 'NOBODY',
      AWS_SECRET_ACCESS_KEY: 'wrong',
    }).catch((e) => e);
    expect(wrong).toMatchObject({ code: 'STORE_AUTH', exitCode: 2 });
    expect(wrong.message).toBe(`The store s3://${BUCKET}/cli at ${s3.endpoint} rejected the credentials (InvalidAccessKeyId).`);
    expect(wrong.hint).toContain('AWS_ACCESS_KEY_ID');

    const missing = await cli(['publish', 'beacon-4.0.1-to-4.1.1.tar.gz', '--store', 's3://nope/x', '--endpoint', s3.endpoint], { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' }).catch(
      (e) => e,
    );
    expect(missing).toMatchObject({ code: 'STORE_NO_BUCKET', exitCode: 2 });
    expect(missing.message).toBe(`The bucket "nope" does not exist at ${s3.endpoint}.`);
  });
});
