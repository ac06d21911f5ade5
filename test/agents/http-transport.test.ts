import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HttpTransport } from '../../src/agents/http-transport.js';
import { servePackage, type PackageServer } from '../../src/agents/package-server.js';
import { AgentError, type AgentRecord } from '../../src/agents/types.js';
import { agentArtifact, serveAgentPackage, startAgent, stopAllAgents, upgradeFailure, type RunningAgent } from '../helpers/agents.js';
import { freePort } from '../helpers/manager.js';

const TOKEN = 'test-agent-token-5f3a';
const PKG = agentArtifact('4.2.0');
let pkg: PackageServer & { sha256: string };

const record = (a: Pick<RunningAgent, 'id' | 'address'>): AgentRecord => ({ id: a.id, address: a.address, version: '4.1.1', state: 'online' });
const transport = (o: { token?: string; sha256?: string; path?: boolean } = {}) =>
  new HttpTransport({ target: '4.2.0', token: o.token ?? TOKEN, pollMs: 100, package: { ...(o.path ? { path: PKG } : { url: pkg.url }), sha256: o.sha256 ?? pkg.sha256 } });
const healthOf = async (a: RunningAgent) => (await fetch(`${a.address}/health`)).json();

beforeAll(async () => {
  pkg = await serveAgentPackage('4.2.0');
});
afterEach(() => stopAllAgents());
afterAll(async () => {
  await stopAllAgents();
  await pkg?.close();
});

describe('HttpTransport against real agents', () => {
  it.each([
    ['a URL from the package server', false],
    ['a path on the agent host', true],
  ])('upgrades 4.1.1 to 4.2.0 from %s', async (_, usePath) => {
    const agent = await startAgent({ version: '4.1.1', token: TOKEN });
    expect(await healthOf(agent)).toMatchObject({ version: '4.1.1' });
    expect(await transport({ path: usePath }).upgrade(record(agent), AbortSignal.timeout(30_000))).toBe('4.2.0');
    expect(await healthOf(agent)).toEqual({ status: 'ok', version: '4.2.0' });
    // the answer came from the re-executed process, installed as a release
    const pid = Number((await readFile(path.join(agent.home, 'agent.pid'), 'utf8')).trim());
    expect(pid).not.toBe(agent.pid);
    await agent.exited;
  });

  it('reports a wrong token as not retryable, without the token', async () => {
    const agent = await startAgent({ version: '4.1.1', token: TOKEN });
    const err = await upgradeFailure(transport({ token: 'wrong-token-9c1e' }).upgrade(record(agent), AbortSignal.timeout(30_000)));
    expect(err).toBeInstanceOf(AgentError);
    expect(err.retryable).toBe(false);
    expect(err.message).toBe(`agent ${agent.id} at ${agent.address} rejected the token`);
    expect(err.message).not.toContain('wrong-token-9c1e');
    expect(await healthOf(agent)).toMatchObject({ version: '4.1.1' });
  });

  it('reports a sha256 mismatch as a refused package, not retryable', async () => {
    const agent = await startAgent({ version: '4.1.1', token: TOKEN });
    const err = await upgradeFailure(transport({ sha256: '0'.repeat(64) }).upgrade(record(agent), AbortSignal.timeout(30_000)));
    expect(err).toBeInstanceOf(AgentError);
    expect(err.retryable).toBe(false);
    expect(err.message).toContain(`agent ${agent.id} at ${agent.address} refused the package: the package sha256 is ${pkg.sha256}`);
    expect(err.message).not.toContain(TOKEN);
    expect(await healthOf(agent)).toMatchObject({ version: '4.1.1' });
  });

  it('reports an agent that is not listening as retryable', async () => {
    const address = `http://127.0.0.1:${await freePort()}`;
    const err = await upgradeFailure(transport().upgrade(record({ id: 'gone', address }), AbortSignal.timeout(30_000)));
    expect(err).toBeInstanceOf(AgentError);
    expect(err.retryable).toBe(true);
    expect(err.message).toBe(`agent gone at ${address} could not be reached (ECONNREFUSED)`);
  });

  it('reports an agent that cannot download the package as retryable', async () => {
    const agent = await startAgent({ version: '4.1.1', token: TOKEN });
    const url = `http://127.0.0.1:${await freePort()}/pkg.tgz`;
    const err = await upgradeFailure(new HttpTransport({ target: '4.2.0', token: TOKEN, package: { url, sha256: pkg.sha256 } }).upgrade(record(agent), AbortSignal.timeout(30_000)));
    expect(err.retryable).toBe(true);
    expect(err.message).toContain(`agent ${agent.id} at ${agent.address} failed the upgrade with HTTP 502: cannot download ${url}`);
  });

  it('refuses an address that is not an http(s) URL, not retryable', async () => {
    const err = await upgradeFailure(transport().upgrade(record({ id: 'odd', address: 'ftp://10.0.0.7:7070' }), AbortSignal.timeout(30_000)));
    expect(err).toBeInstanceOf(AgentError);
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('agent odd at ftp://10.0.0.7:7070');
  });

  it('gives up when the signal aborts while waiting for the new version', async () => {
    // --supervised: the agent exits after the 202 and no supervisor brings it back
    const agent = await startAgent({ version: '4.1.1', token: TOKEN, supervised: true });
    const ctl = new AbortController();
    const reason = new Error('attempt timed out');
    const pending = upgradeFailure(transport().upgrade(record(agent), ctl.signal));
    await agent.exited;
    ctl.abort(reason);
    expect(await pending).toBe(reason);
  });

  it('gives up when the signal aborts while the agent is still downloading (a second request is told it is busy)', async () => {
    // a package URL that never answers keeps the POST open
    let requested!: () => void;
    const hit = new Promise<void>((r) => (requested = r));
    const stall = http.createServer(() => requested());
    await new Promise<void>((r) => stall.listen(0, '127.0.0.1', r));
    try {
      const agent = await startAgent({ version: '4.1.1', token: TOKEN });
      const url = `http://127.0.0.1:${(stall.address() as AddressInfo).port}/pkg.tgz`;
      const ctl = new AbortController();
      const pending = upgradeFailure(new HttpTransport({ target: '4.2.0', token: TOKEN, package: { url, sha256: pkg.sha256 } }).upgrade(record(agent), ctl.signal));
      await hit;
      const busy = await upgradeFailure(transport().upgrade(record(agent), AbortSignal.timeout(30_000)));
      expect([busy.retryable, busy.message]).toEqual([true, `agent ${agent.id} at ${agent.address} is busy with another upgrade`]);
      ctl.abort(new Error('attempt timed out'));
      expect((await pending).message).toBe('attempt timed out');
    } finally {
      stall.closeAllConnections();
      stall.close();
    }
  });
});

describe('servePackage', () => {
  it('serves the file at its URL with its size, and 404 elsewhere', async () => {
    expect(pkg.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/agent-package\/[0-9a-f]{32}\/beacon-agent-4\.2\.0\.tgz$/);
    const res = await fetch(pkg.url);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(res.status).toBe(200);
    expect(Number(res.headers.get('content-length'))).toBe(bytes.length);
    expect(bytes.equals(await readFile(PKG))).toBe(true);
    const head = await fetch(pkg.url, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length')]).toEqual([200, String(bytes.length)]);
    const origin = new URL(pkg.url).origin;
    for (const p of ['/', '/agent-package/', `/agent-package/${'0'.repeat(32)}/beacon-agent-4.2.0.tgz`, `${new URL(pkg.url).pathname}x`]) {
      const r = await fetch(origin + p);
      await r.arrayBuffer();
      expect(r.status, p).toBe(404);
    }
    expect((await fetch(pkg.url, { method: 'POST' })).status).toBe(405);
  });

  it('uses the public URL it is given, and closes with a keep-alive client connected', async () => {
    const port = await freePort();
    const server = await servePackage({ file: PKG, port, publicUrl: 'http://manager.example:8099/' });
    expect(server.url).toMatch(/^http:\/\/manager\.example:8099\/agent-package\/[0-9a-f]{32}\/beacon-agent-4\.2\.0\.tgz$/);
    // download on its real address through a keep-alive agent, which then holds the socket idle
    const keepAlive = new http.Agent({ keepAlive: true });
    try {
      const size = await new Promise<number>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port, path: new URL(server.url).pathname, agent: keepAlive }, (res) => {
            let n = 0;
            res
              .on('data', (d: Buffer) => (n += d.length))
              .on('end', () => resolve(n))
              .on('error', reject);
          })
          .on('error', reject);
      });
      expect(size).toBe((await readFile(PKG)).length);
      expect(Object.keys(keepAlive.freeSockets)).toHaveLength(1);
      await server.close();
    } finally {
      keepAlive.destroy();
    }
  }, 10_000);
});
