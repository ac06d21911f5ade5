/**
 * A new version's service that dies while the health checks wait for it fails the
 * install at once, naming the service, its exit code and its log, and the rollback
 * follows: the checks' 60 s timeout is not waited out. A stranger's product built
 * in the test; its 2.0.0 service exits on the first request a health check makes,
 * so it dies during the checks whatever the machine's load.
 */
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { freePort } from '../helpers/manager.js';
import { stranger, type Stranger } from '../helpers/stranger.js';

let s: Stranger | undefined;
afterEach(async () => {
  await s?.cleanup();
  s = undefined;
});

const HEALTH_TIMEOUT_MS = 60_000;

const SERVER_1 = `
import http from 'node:http';
const server = http.createServer((req, res) => res.end('{"version":"1.0.0"}'));
server.listen(Number(process.argv[2]), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

const SERVER_2 = `
import http from 'node:http';
const server = http.createServer(() => {
  console.error('fatal: the ledger file is corrupt');
  process.exit(3);
});
server.listen(Number(process.argv[2]), '127.0.0.1');
`;

const spec = (from: string, to: string) =>
  [
    'product: acme',
    `from: ${from}`,
    `to: ${to}`,
    'sample_values: conf/sample.yaml',
    'components:',
    '  - name: app',
    `    version: ${to}`,
    `    package: components/app-${to}`,
    '    type: tarball',
    '    service:',
    '      exec: ["${node}", "${release}/server.mjs", "${http_port}"]',
    'services:',
    '  order: [app]',
    '  health:',
    `    - { name: app, http: "http://127.0.0.1:\${http_port}/health", body: '"version":"${to}"', timeout: ${HEALTH_TIMEOUT_MS / 1000}s }`,
    '',
  ].join('\n');

it('a service that exits during the health checks fails the install at once, naming it and its log; the old version runs again', { timeout: 180_000 }, async () => {
  s = await stranger();
  await s.write('conf/sample.yaml', 'http_port: 8080\n');
  await s.write('components/app-1.0.0/server.mjs', SERVER_1);
  await s.write('components/app-2.0.0/server.mjs', SERVER_2);
  await s.write('bundles/none-to-1.0.0/bundle.yaml', spec('none', '1.0.0'));
  await s.write('bundles/1.0.0-to-2.0.0/bundle.yaml', spec('1.0.0', '2.0.0'));
  const built = await s.uphop(['build', '--all', '--out', 'out', '--json']);
  expect(built.code, built.stderr).toBe(0);
  const bundleTo = (to: string) => JSON.parse(built.stdout).bundles.find((b: { path: string }) => b.path.includes(`-to-${to}`)).path;

  const site = await s.write('site.yaml', `http_port: ${await freePort()}\n`);
  const first = await s.uphop(['install', bundleTo('1.0.0'), '--root', s.root, '--values', site, '--allow-unsigned']);
  expect(first.code, first.stderr).toBe(0);

  const t0 = Date.now();
  const r = await s.uphop(['install', bundleTo('2.0.0'), '--root', s.root, '--allow-unsigned']);
  const elapsed = Date.now() - t0;
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).toMatch(/failed at step "health checks": Service "app" exited with code 3 while the health checks waited for it/);
  expect(r.stderr).toContain(`its log: ${path.join(s.root, 'var/log/acme/app.log')}`);
  expect(r.stderr).toContain('fatal: the ledger file is corrupt');
  expect(r.stderr).toMatch(/rolled back and acme 1\.0\.0 is running again and healthy/);
  // the whole install, rollback included, in well under the one check's timeout
  expect(elapsed).toBeLessThan(HEALTH_TIMEOUT_MS / 2);

  const st = await s.uphop(['status', '--root', s.root, '--json']);
  expect(st.code, st.stdout).toBe(0);
  expect(JSON.parse(st.stdout)).toMatchObject({ state: 'installed', version: '1.0.0', healthy: true });
});
