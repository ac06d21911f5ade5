import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/drivers/duration.js';
import { runHealthCheck, runHealthChecks } from '../../src/drivers/health.js';

let server: http.Server;
let port: number;
let hits = 0;

/** a port nothing listens on: bound then released */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    hits++;
    if (req.url === '/down') return res.writeHead(503).end('database unreachable');
    // becomes healthy on the 3rd request: the check must retry
    if (req.url === '/warming') return hits % 100 >= 3 ? res.end('{"status":"up"}') : res.writeHead(503).end('warming up');
    res.end('{"status":"up","version":"4.1.1"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise((r) => server.close(r)));

describe('health checks', () => {
  it('passes an http check on status and body (substring and /regex/)', async () => {
    const url = `http://127.0.0.1:${port}/health`;
    expect((await runHealthCheck({ name: 'rest', http: url, body: '"status":"up"' })).observation).toBe('HTTP 200');
    expect((await runHealthCheck({ name: 'rest', http: url, body: '/"version":"4\\.1\\.\\d+"/' })).attempts).toBe(1);
  });

  it('retries until the service becomes healthy, and reports progress', async () => {
    hits = 0;
    const events: unknown[] = [];
    const r = await runHealthCheck({ name: 'warm', http: `http://127.0.0.1:${port}/warming`, timeout: '30s' }, { emit: (e) => events.push(e) });
    expect(r.attempts).toBe(3);
    expect(events).toContainEqual({ type: 'health', check: 'warm', attempt: 1, ok: false, observation: expect.stringContaining('got HTTP 503') });
  });

  it('fails with the status and body it last saw', async () => {
    const err = await runHealthCheck({ name: 'rest', http: `http://127.0.0.1:${port}/down`, timeout: '300ms' }).catch((e) => e);
    expect(err.code).toBe('HEALTH_CHECK_FAILED');
    expect(err.message).toContain('Health check "rest"');
    expect(err.message).toContain('within 300ms');
    expect(err.message).toContain('got HTTP 503, expected 200; body "database unreachable"');
  });

  it('fails when the body does not match, naming the pattern', async () => {
    const err = await runHealthCheck({ name: 'rest', http: `http://127.0.0.1:${port}/health`, body: '/"version":"4\\.2/', timeout: '200ms' }).catch((e) => e);
    expect(err.code).toBe('HEALTH_CHECK_FAILED');
    expect(err.message).toContain('the body does not match /"version":"4\\.2/');
    expect(err.message).toContain('4.1.1'); // the body excerpt shows what was there instead
  });

  it('accepts an expected non-200 status', async () => {
    expect((await runHealthCheck({ name: 'maint', http: `http://127.0.0.1:${port}/down`, status: 503, body: 'unreachable' })).observation).toBe('HTTP 503');
  });

  it('checks tcp ports: connected, and refused after backing off until the timeout', async () => {
    expect((await runHealthCheck({ name: 'db', tcp: `127.0.0.1:${port}` })).observation).toBe(`connected to 127.0.0.1:${port}`);
    const events: Array<{ attempt?: number }> = [];
    const err = await runHealthCheck({ name: 'db', tcp: `127.0.0.1:${await closedPort()}`, timeout: '1s' }, { emit: (e) => events.push(e as never) }).catch((e) => e);
    expect(err.code).toBe('HEALTH_CHECK_FAILED');
    expect(err.message).toContain('connection refused (ECONNREFUSED)');
    // delays 100, 200, 400 ms then capped by the deadline: a handful of attempts, not hundreds
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(events.length).toBeLessThanOrEqual(6);
  });

  it('runs command checks: exit 0 is healthy, otherwise the exit code and output are reported', async () => {
    expect((await runHealthCheck({ name: 'cli', command: [process.execPath, '-e', 'process.exit(0)'] })).observation).toBe('exit 0');
    const err = await runHealthCheck({ name: 'cli', command: [process.execPath, '-e', 'console.error("queue backlog 5000"); process.exit(2)'], timeout: '200ms' }).catch((e) => e);
    expect(err.message).toContain('exit 2: queue backlog 5000');
  });

  it('runs checks in parallel and fails on the first failure', async () => {
    const ok = await runHealthChecks([
      { name: 'a', http: `http://127.0.0.1:${port}/health` },
      { name: 'b', tcp: `127.0.0.1:${port}` },
    ]);
    expect(ok.map((r) => r.name)).toEqual(['a', 'b']);
    const err = await runHealthChecks([
      { name: 'slow-but-fine', http: `http://127.0.0.1:${port}/down`, timeout: '60s' },
      { name: 'broken', http: `http://127.0.0.1:${port}/down`, timeout: '200ms' },
    ]).catch((e) => e);
    expect(err.code).toBe('HEALTH_CHECK_FAILED');
    expect(err.message).toContain('"broken"');
  });

  it('refuses malformed checks and durations', async () => {
    await expect(runHealthCheck({ name: 'x', http: 'http://a', tcp: 'a:1' })).rejects.toMatchObject({ code: 'HEALTH_CHECK_INVALID', exitCode: 2 });
    await expect(runHealthCheck({ name: 'x', tcp: 'no-port' })).rejects.toMatchObject({ code: 'HEALTH_CHECK_INVALID' });
    await expect(runHealthCheck({ name: 'x', tcp: 'a:1', timeout: 'soon' })).rejects.toMatchObject({ code: 'BAD_DURATION' });
    expect([parseDuration('500ms', 0), parseDuration('60s', 0), parseDuration('2m', 0), parseDuration(undefined, 7)]).toEqual([500, 60_000, 120_000, 7]);
  });
});
