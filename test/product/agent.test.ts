import { beforeAll, describe, expect, it } from 'vitest';
import { createReadStream, mkdirSync, readFileSync, readlinkSync, existsSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import * as tar from 'tar';
import { eventually, getJson, packInto, productEnv, rmrf, spawnProgram, tempDir, unpack, type PackResult } from './helpers/programs.js';

const TOKEN = 'agent-test-token';
let packed: Map<string, PackResult>;

beforeAll(async () => {
  packed = await packInto(undefined, ['4.1.1', '4.2.0'], ['agent']);
});

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** an agent home with `version` installed as current, running; stops whatever process the pid file names */
async function withAgent(version: string, use: (base: string, home: string) => Promise<void>) {
  const home = tempDir('agent-home');
  mkdirSync(path.join(home, 'releases', version), { recursive: true });
  await unpack(packed.get(`agent@${version}`)!.file, path.join(home, 'releases', version));
  symlinkSync(path.join('releases', version), path.join(home, 'current'));
  const port = await freePort();
  const agent = spawnProgram(path.join(home, 'current'), 'agent.js', ['--home', home, '--port', String(port)], productEnv({ BEACON_AGENT_TOKEN: TOKEN }));
  await agent.listening;
  try {
    await use(`http://127.0.0.1:${port}`, home);
  } finally {
    const pid = Number(readFileSync(path.join(home, 'agent.pid'), 'utf8'));
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    agent.child.kill('SIGTERM');
    await eventually(() => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    });
    rmrf(home);
  }
}

const upgrade = (base: string, body: unknown, token = TOKEN) =>
  getJson(`${base}/upgrade`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('packed agent', () => {
  it('refuses a wrong token and a wrong sha256, and keeps running its version', async () => {
    await withAgent('4.1.1', async (base, home) => {
      const pkg = packed.get('agent@4.2.0')!.file;
      expect(await getJson(`${base}/health`)).toEqual({ status: 200, body: { status: 'ok', version: '4.1.1' } });
      expect((await upgrade(base, { path: pkg, sha256: sha256(pkg) }, 'wrong')).status).toBe(401);
      const noAuth = await fetch(`${base}/upgrade`, { method: 'POST', body: JSON.stringify({ path: pkg, sha256: sha256(pkg) }) });
      expect(noAuth.status).toBe(401);
      const mismatch = await upgrade(base, { path: pkg, sha256: 'a'.repeat(64) });
      expect(mismatch).toMatchObject({ status: 400, body: { error: 'SHA256_MISMATCH' } });
      expect(existsSync(path.join(home, 'releases', '4.2.0'))).toBe(false);
      expect(readlinkSync(path.join(home, 'current'))).toBe(path.join('releases', '4.1.1'));
      expect((await getJson(`${base}/health`)).body.version).toBe('4.1.1');
    });
  });

  it('installs a package given by path with the right sha256, swaps current and re-execs as the new version', async () => {
    await withAgent('4.1.1', async (base, home) => {
      const pkg = packed.get('agent@4.2.0')!.file;
      expect(await upgrade(base, { path: pkg, sha256: sha256(pkg) })).toEqual({ status: 202, body: { status: 'upgrading', from: '4.1.1', to: '4.2.0' } });
      await eventually(
        async () =>
          (
            await fetch(`${base}/health`)
              .then((r) => r.json())
              .catch(() => null)
          )?.version === '4.2.0',
      );
      expect(readlinkSync(path.join(home, 'current'))).toBe(path.join('releases', '4.2.0'));
      expect(readFileSync(path.join(home, 'releases', '4.1.1', 'agent.js')).length).toBeGreaterThan(0);
    });
  });

  it('downloads a package from a URL (and can go back to the previous version that way)', async () => {
    const pkg = packed.get('agent@4.1.1')!.file;
    const server = http.createServer((_req, res) => createReadStream(pkg).pipe(res)).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/beacon-agent-4.1.1.tgz`;
    try {
      await withAgent('4.2.0', async (base) => {
        expect((await upgrade(base, { url, sha256: sha256(pkg) })).status).toBe(202);
        await eventually(
          async () =>
            (
              await fetch(`${base}/health`)
                .then((r) => r.json())
                .catch(() => null)
            )?.version === '4.1.1',
        );
      });
    } finally {
      server.close();
    }
  });

  it('refuses a package holding a symlink, even with a matching sha256', async () => {
    const src = tempDir('evil');
    writeFileSync(path.join(src, 'package.json'), JSON.stringify({ name: 'beacon-agent', version: '9.9.9' }));
    writeFileSync(path.join(src, 'agent.js'), '');
    symlinkSync('/etc', path.join(src, 'evil'));
    const evil = path.join(src, 'evil.tgz');
    await tar.c({ cwd: src, file: evil, gzip: true }, ['package.json', 'agent.js', 'evil']);
    try {
      await withAgent('4.1.1', async (base, home) => {
        expect(await upgrade(base, { path: evil, sha256: sha256(evil) })).toMatchObject({ status: 400, body: { error: 'BAD_PACKAGE' } });
        expect(existsSync(path.join(home, 'releases', '9.9.9'))).toBe(false);
        expect((await getJson(`${base}/health`)).body.version).toBe('4.1.1');
      });
    } finally {
      rmrf(src);
    }
  });
});
