/** The copy's health checks must not reach the live manager: endpoints compared, extra port keys moved. */
import { describe, expect, it } from 'vitest';
import { endpointOf, sharedEndpoints } from '../../src/rehearse/endpoints.js';
import { withFreePorts } from '../../src/sandbox/ports.js';

describe('endpointOf', () => {
  it.each([
    [{ name: 'a', http: 'http://127.0.0.1:8080/health' }, 'loopback:8080'],
    [{ name: 'a', http: 'http://localhost:8080/x' }, 'loopback:8080'],
    [{ name: 'a', http: 'https://127.0.0.1/health' }, 'loopback:443'],
    [{ name: 'a', http: 'http://db.example:80/' }, 'db.example:80'],
    [{ name: 'a', tcp: '[::1]:5432' }, 'loopback:5432'],
    [{ name: 'a', tcp: '0.0.0.0:05432' }, 'loopback:5432'],
    [{ name: 'a', tcp: 'Queue.Example:5672' }, 'queue.example:5672'],
    [{ name: 'a', command: ['true'] }, undefined],
    [{ name: 'a', http: 'not a url' }, undefined],
  ])('%j -> %s', (check, endpoint) => {
    expect(endpointOf(check)).toBe(endpoint);
  });
});

describe('sharedEndpoints', () => {
  const live = [
    { name: 'rest', http: 'http://127.0.0.1:8080/health' },
    { name: 'worker', tcp: '127.0.0.1:8081' },
  ];
  it('names the copy check that would probe a live endpoint, with its port', () => {
    expect(
      sharedEndpoints(
        [
          { name: 'rest', http: 'http://localhost:8080/health' },
          { name: 'worker', tcp: '127.0.0.1:40001' },
        ],
        live,
      ),
    ).toEqual([{ check: 'rest', endpoint: 'http://localhost:8080/health', port: 8080 }]);
  });
  it('is empty when every port moved', () => {
    expect(
      sharedEndpoints(
        [
          { name: 'rest', http: 'http://127.0.0.1:40000/health' },
          { name: 'worker', tcp: '127.0.0.1:40001' },
        ],
        live,
      ),
    ).toEqual([]);
  });
});

describe('withFreePorts with extra port keys', () => {
  let next = 50000;
  const ports = async () => next++;
  it('moves a named key that does not end in "port", and the …port keys as before', async () => {
    const { values, ports: moved } = await withFreePorts({ http: { listen: 9000 }, admin_port: 9001, name: 'x' }, ports, ['http.listen']);
    expect(values).toMatchObject({ http: { listen: expect.any(Number) }, admin_port: expect.any(Number), name: 'x' });
    expect(moved.map((p) => `${p.key}:${p.from}`).sort()).toEqual(['admin_port:9001', 'http.listen:9000']);
    expect((values.http as { listen: number }).listen).not.toBe(9000);
  });
  it.each([
    ['http.lisen', /no such key/],
    ['name', /holds "x"/],
    ['db.connection.port', /not name a port/],
  ])('refuses --port-key %s (exit 2, the key named)', async (key, message) => {
    const run = withFreePorts({ http: { listen: 9000 }, name: 'x', db: { connection: { port: 5432 } } }, ports, [key]);
    await expect(run).rejects.toMatchObject({ code: 'PORT_KEY_INVALID', exitCode: 2, message: expect.stringMatching(message) });
    await expect(run).rejects.toMatchObject({ message: expect.stringContaining(key) });
  });
});
