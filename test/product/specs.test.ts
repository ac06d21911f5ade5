/**
 * The reference product's hop specs, templates and hooks are consistent with each
 * other and with what pack-components writes. (The builder validates specs for real;
 * these checks keep the product's own files honest without depending on it.)
 */
import { describe, expect, it } from 'vitest';
import { accessSync, constants, existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import YAML from 'yaml';
import { rmrf, tempDir } from './helpers/programs.js';
import { render } from './helpers/render.js';
import { DEFAULT_INSTALL_SH } from '../../src/build/install-sh.js';
// @ts-expect-error plain ESM module, no types
import { PROJECT_ROOT, packageFileName } from '../../scripts/lib/pack.mjs';

const root = PROJECT_ROOT as string;
const HOPS = ['none-to-3.4.2', '3.4.2-to-4.0.1', '4.0.1-to-4.1.1', '4.1.1-to-4.2.0'];
const sample = YAML.parse(readFileSync(path.join(root, 'templates/values.sample.yaml'), 'utf8'));
const builtins = { root: '/srv/manager', product: 'beacon', version: '4.2.0', node: '/usr/bin/node' };

describe.each(HOPS)('bundles/%s/bundle.yaml', (hop) => {
  const spec = YAML.parse(readFileSync(path.join(root, 'bundles', hop, 'bundle.yaml'), 'utf8'));
  const [from, to] = hop.split('-to-');

  it('names its hop, packages that pack-components writes, and files that exist', () => {
    expect(spec).toMatchObject({ product: 'beacon', from, to });
    const files = Object.fromEntries(spec.components.map((c: { name: string; version: string; package: string }) => [c.name, c]));
    expect(files['rest-service'].package).toBe(`\${artifacts}/${packageFileName('rest-service', to)}`);
    expect(files.worker.package).toBe(`\${artifacts}/${packageFileName('worker', to)}`);
    expect(spec.agents.package).toBe(`\${artifacts}/${packageFileName('agent', to)}`);
    for (const c of spec.components) expect(c.version).toBe(to);
    for (const c of spec.configs) expect(existsSync(path.join(root, c.template)), c.template).toBe(true);
    for (const hook of Object.values(spec.hooks) as string[]) accessSync(path.join(root, hook), constants.X_OK);
    expect(readdirSync(path.join(root, spec.migrations))).toContain(to);
    expect(spec.services.health.find((h: { name: string }) => h.name === 'rest').body).toBe(`"version":"${to}"`);
  });

  it('renders its configs, service commands and health checks with the sample values', () => {
    const values = { ...sample, ...builtins, version: to };
    for (const c of spec.configs) {
      const rendered = YAML.parse(render(readFileSync(path.join(root, c.template), 'utf8'), values));
      expect(rendered).toMatchObject({ root: '/srv/manager', db: sample.db, log_level: 'info' });
      expect([sample.rest_port, sample.worker_port]).toContain(rendered.port);
    }
    for (const c of spec.components) {
      const exec = c.service.exec.map((a: string) => render(a, { ...values, release: '/srv/manager/opt/beacon/x/current', component: c.name }));
      expect(exec[0]).toBe('/usr/bin/node');
      expect(exec.slice(2)).toEqual(['--config', `/srv/manager/etc/beacon/${c.name}.yaml`]);
    }
    expect(spec.services.health.map((h: { http?: string; tcp?: string }) => render(h.http ?? h.tcp!, values))).toEqual([
      `http://127.0.0.1:${sample.rest_port}/health`,
      `127.0.0.1:${sample.worker_port}`,
    ]);
  });
});

describe("uphop's default install.sh", () => {
  const script = render(DEFAULT_INSTALL_SH, { ...builtins, from: '4.1.1', to: '4.2.0' });

  function bundleDir() {
    const dir = tempDir('bundle');
    writeFileSync(path.join(dir, 'install.sh'), script, { mode: 0o755 });
    mkdirSync(path.join(dir, 'installer'));
    writeFileSync(path.join(dir, 'installer', 'uphop-installer.cjs'), 'console.log(JSON.stringify(process.argv.slice(2)))');
    return dir;
  }

  it('runs the bundled installer with install <bundle dir> and the arguments it was given', () => {
    const dir = bundleDir();
    try {
      const out = execFileSync('sh', [path.join(dir, 'install.sh'), '--root', '/tmp/r', '--dry-run'], { encoding: 'utf8' });
      expect(JSON.parse(out)).toEqual(['install', dir, '--root', '/tmp/r', '--dry-run']);
    } finally {
      rmrf(dir);
    }
  });

  it('passes status, history, resume, rollback, services, report and support-bundle through to the installer', () => {
    const dir = bundleDir();
    try {
      for (const cmd of ['status', 'history', 'resume', 'rollback', 'services', 'report', 'support-bundle']) {
        const out = execFileSync('sh', [path.join(dir, 'install.sh'), cmd, '--root', '/tmp/r'], { encoding: 'utf8' });
        expect(JSON.parse(out)).toEqual([cmd, '--root', '/tmp/r']);
      }
    } finally {
      rmrf(dir);
    }
  });

  it('refuses with a clear message when node is missing or older than 20', () => {
    const dir = bundleDir();
    const bin = path.join(dir, 'bin');
    mkdirSync(bin);
    for (const tool of ['dirname', 'cut']) symlinkSync(execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), path.join(bin, tool));
    try {
      const missing = spawnSync('/bin/sh', [path.join(dir, 'install.sh')], { env: { PATH: bin }, encoding: 'utf8' });
      expect(missing.status).toBe(3);
      expect(missing.stderr).toContain("Node.js 20 or newer is required, but 'node' is not on PATH");
      writeFileSync(path.join(bin, 'node'), '#!/bin/sh\necho 18.19.0\n', { mode: 0o755 });
      const old = spawnSync('/bin/sh', [path.join(dir, 'install.sh')], { env: { PATH: bin }, encoding: 'utf8' });
      expect(old.status).toBe(3);
      expect(old.stderr).toContain("'node' is 18.19.0");
    } finally {
      rmrf(dir);
    }
  });
});

describe('hooks/check-disk.sh', () => {
  const hook = path.join(root, 'hooks/check-disk.sh');
  it('passes when there is room and refuses with the numbers when there is not', () => {
    const ok = spawnSync(hook, [], { env: { PATH: process.env.PATH, UPHOP_ROOT: '/tmp/not/yet/there', BEACON_MIN_FREE_MB: '1' }, encoding: 'utf8' });
    expect(ok.status).toBe(0);
    const low = spawnSync(hook, [], { env: { PATH: process.env.PATH, UPHOP_ROOT: '/tmp', BEACON_MIN_FREE_MB: '999999999' }, encoding: 'utf8' });
    expect(low.status).toBe(1);
    expect(low.stderr).toMatch(/only \d+ MB free .* needs 999999999 MB/);
  });
});
