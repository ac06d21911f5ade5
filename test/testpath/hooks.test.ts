/** seed/verify hooks of any language: a program gets the documented environment; a failure names the hook and version. */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbUrl, runHook, type HookInput } from '../../src/testpath/hooks.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'uphop-hooks-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const input = (file: string, over: Partial<HookInput> = {}): HookInput => ({
  name: 'seed',
  file,
  root: '/srv/sandbox',
  product: 'acme',
  version: '2.0.0',
  values: {},
  valuesFile: '/srv/values.yaml',
  db: { client: 'pg', connection: { host: 'db', port: 5433, user: 'ci', password: 's3cr3t', database: 'acme', schema: 'tp_x' } },
  knex: null as never,
  rows: 42,
  scrub: (t) => t.split('s3cr3t').join('***'),
  ...over,
});

describe('hooks', () => {
  it('runs a program with UPHOP_* in its environment and shows its last line', async () => {
    const file = path.join(dir, 'seed.sh');
    await writeFile(file, `#!/bin/sh\nenv | grep '^UPHOP_' | sort > "${dir}/env.txt"\necho first\necho "seeded $UPHOP_SEED_ROWS rows"\n`);
    await chmod(file, 0o755);
    expect(await runHook(input(file))).toBe('seeded 42 rows');
    const env = Object.fromEntries(
      (await readFile(path.join(dir, 'env.txt'), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => l.split(/=(.*)/s).slice(0, 2)),
    );
    expect(env).toMatchObject({
      UPHOP_HOOK: 'seed',
      UPHOP_ROOT: '/srv/sandbox',
      UPHOP_PRODUCT: 'acme',
      UPHOP_VERSION: '2.0.0',
      UPHOP_VALUES: '/srv/values.yaml',
      UPHOP_DB_CLIENT: 'pg',
      UPHOP_DB_URL: 'postgres://ci:s3cr3t@db:5433/acme?schema=tp_x',
      UPHOP_SEED_ROWS: '42',
    });
  });

  it('a failing program fails with SEED_FAILED / VERIFY_FAILED naming the hook and the version, secrets scrubbed', async () => {
    const file = path.join(dir, 'verify.sh');
    await writeFile(file, '#!/bin/sh\necho "cannot log in with s3cr3t" >&2\nexit 3\n');
    await chmod(file, 0o755);
    await expect(runHook(input(file, { name: 'verify' }))).rejects.toMatchObject({
      code: 'VERIFY_FAILED',
      message: expect.stringMatching(/verify hook verify\.sh failed on 2\.0\.0: cannot log in with \*\*\*/),
    });
  });

  it('a module hook is called with the knex and the version; one without the export is refused', async () => {
    const ok = path.join(dir, 'ok.mjs');
    await writeFile(ok, 'export async function seed({ context, version, rows }) { return `${context.name} ${version} ${rows}`; }\n');
    expect(await runHook(input(ok, { knex: { name: 'knex' } as never }))).toBe('knex 2.0.0 42');
    const none = path.join(dir, 'none.mjs');
    await writeFile(none, 'export const x = 1;\n');
    await expect(runHook(input(none))).rejects.toMatchObject({ code: 'SEED_FAILED', message: expect.stringContaining('exports no seed() (or default) function') });
  });

  it('sqlite URLs are absolute under the root', () => {
    expect(dbUrl({ client: 'sqlite', connection: { filename: 'var/db.sqlite' } }, '/srv/r')).toBe('sqlite:///srv/r/var/db.sqlite');
  });
});
