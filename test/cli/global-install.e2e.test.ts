/**
 * How a product team gets `uphop` on its PATH (docs/getting-uphop.md): `npm pack`
 * in a checkout, then `npm install -g ./uphop-*.tgz` (here with --prefix, a temp
 * folder). The tarball carries dist/ (the CLI, uphop's install.sh, the bundled
 * installer and its addon) and the docs, not the tests, sources or Beacon.
 * Quick mode installs with --ignore-scripts (seconds; better-sqlite3 is then not
 * compiled, which only SQLite installs by the CLI need): --version, init, build and
 * verify run from the prefix. UPHOP_TEST_GLOBAL_FULL=1 installs as a user does
 * (compiling better-sqlite3 when no prebuilt binary downloads: minutes) and also
 * installs the bundle into a --root sandbox.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort, stopServices } from '../helpers/manager.js';

const FULL = !!process.env.UPHOP_TEST_GLOBAL_FULL;
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'uphop-global-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

const run = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000', npm_config_update_notifier: 'false' } });

it(
  'npm pack + npm install -g --prefix: uphop runs from <prefix>/bin, inits and builds a project',
  async () => {
    const version = JSON.parse(await readFile('package.json', 'utf8')).version as string;
    // dist/ is built by the test setup; --ignore-scripts: do not build it again
    run('npm', ['pack', '--pack-destination', tmp, '--ignore-scripts', '--silent'], process.cwd());
    const tgz = path.join(tmp, `uphop-${version}.tgz`);
    const files = run('tar', ['-tzf', tgz], tmp)
      .trim()
      .split('\n')
      .map((f) => f.replace(/^package\//, ''));
    for (const f of [
      'dist/cli/main.js',
      'dist/build/install-sh.js',
      'dist/init/scaffold.js',
      'dist/installer/uphop-installer.cjs',
      'dist/installer/better_sqlite3.node',
      'docs/hop-spec.md',
      'README.md',
      'package.json',
    ])
      expect(files).toContain(f);
    expect(files.filter((f) => /^(test|src|product|bundles|schema-migrations|scripts|node_modules)\//.test(f) || f.endsWith('.map'))).toEqual([]);

    const prefix = path.join(tmp, 'prefix');
    run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', ...(FULL ? [] : ['--ignore-scripts']), tgz], tmp);
    const uphop = path.join(prefix, 'bin', 'uphop');
    expect(run(uphop, ['--version'], tmp).trim()).toBe(version);
    run(uphop, ['init', 'proj', '--product', 'acme'], tmp);
    const proj = path.join(tmp, 'proj');
    const built = JSON.parse(run(uphop, ['build', '--all', '--out', 'out', '--json'], proj));
    expect(built.bundles[0]).toMatchObject({ id: 'acme-none-to-1.0.0' });
    expect(JSON.parse(run(uphop, ['verify', built.bundles[0].path, '--allow-unsigned', '--json'], proj))).toMatchObject({ ok: true });
    if (FULL) {
      const root = path.join(tmp, 'manager');
      await writeFile(path.join(proj, 'site.yaml'), (await readFile(path.join(proj, 'templates/values.sample.yaml'), 'utf8')).replace('http_port: 8080', `http_port: ${await freePort()}`));
      try {
        expect(run(uphop, ['install', built.bundles[0].path, '--root', root, '--values', 'site.yaml', '--allow-unsigned'], proj)).toContain('installed and healthy');
      } finally {
        await stopServices(root);
      }
    }
  },
  FULL ? 900_000 : 180_000,
);
