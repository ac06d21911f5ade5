/**
 * The HTTP transport against simulated agents (scripts/lib/agent-sim.mjs), for
 * what a rerun after a kill relies on: an agent "in doubt" that already runs the
 * target, or is still upgrading, gets no second command; an agent nothing listens
 * for is offline (no command reached it), not failed.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { HttpTransport } from '../../src/agents/http-transport.js';
import type { PackageServer } from '../../src/agents/package-server.js';
import { AgentError, type AgentRecord } from '../../src/agents/types.js';
// @ts-expect-error: a plain .mjs shared with the bench
import { startSimFleet } from '../../scripts/lib/agent-sim.mjs';
import { serveAgentPackage } from '../helpers/agents.js';
import type { SimFleet } from '../helpers/sim-fleet.js';

const TO = '4.2.0';
let fleet: SimFleet;
let server: PackageServer & { sha256: string };
let transport: HttpTransport;
const record = (i: number): AgentRecord => ({ ...fleet.agents[i], version: '4.1.1', state: 'ok' });

beforeAll(async () => {
  server = await serveAgentPackage(TO);
  fleet = await startSimFleet({ n: 4, processes: 1, token: 't0k3n', from: '4.1.1', packages: { [server.sha256]: TO }, restartMs: 30, behaviour: { 2: 'slow', 3: 'offline' } });
  transport = new HttpTransport({ target: TO, token: 't0k3n', package: { url: server.url, sha256: server.sha256 } });
});
afterAll(async () => {
  await fleet?.stop();
  await server?.close();
});

test('an in-doubt agent already on the target is not sent the command again; one that is not gets it', async () => {
  expect(await transport.upgrade(record(0), AbortSignal.timeout(10_000))).toBe(TO);
  expect(await transport.upgrade(record(0), AbortSignal.timeout(10_000), { inDoubt: true })).toBe(TO);
  expect(await transport.upgrade(record(1), AbortSignal.timeout(10_000), { inDoubt: true })).toBe(TO);
  const { commands, redundant } = await fleet.stats();
  expect(commands.slice(0, 2)).toEqual([1, 1]);
  expect(redundant.slice(0, 2)).toEqual([0, 0]);
});

test('an in-doubt agent restarting is not commanded twice: the attempt fails retryable, the next one finds the target', async () => {
  const first = transport.upgrade(record(2), AbortSignal.timeout(10_000));
  // the first attempt's command is in; the agent restarts (slow: 300 ms), answering nothing meanwhile
  for (let i = 0; i < 200 && (await fleet.stats()).commands[2] === 0; i++) await new Promise((r) => setTimeout(r, 5));
  const during = await transport.upgrade(record(2), AbortSignal.timeout(10_000), { inDoubt: true }).then(
    () => 'upgraded',
    (e) => e,
  );
  if (during !== 'upgraded') expect(during).toMatchObject({ retryable: true });
  expect(await first).toBe(TO);
  expect(await transport.upgrade(record(2), AbortSignal.timeout(10_000), { inDoubt: true })).toBe(TO);
  const { commands, redundant } = await fleet.stats();
  expect(redundant[2]).toBe(0);
  expect(commands[2]).toBeLessThanOrEqual(2); // the restarting agent may take a POST it cannot answer: never as an upgraded one
});

test('an agent nothing listens for is offline: retryable, and no command reached it', async () => {
  const e = await transport.upgrade(record(3), AbortSignal.timeout(10_000)).catch((x) => x);
  expect(e).toBeInstanceOf(AgentError);
  expect(e).toMatchObject({ offline: true, retryable: true });
  expect(e.message).toMatch(/could not be reached \(ECONNREFUSED\)/);
  expect((await fleet.stats()).commands[3]).toBe(0);
});

test('nothing is kept per agent once its upgrade ended: no connection to any agent stays open', async () => {
  // the pools are destroyed at once; the agents see the close a moment later
  for (let i = 0; i < 50 && (await fleet.openConnections()) > 0; i++) await new Promise((r) => setTimeout(r, 10));
  expect(await fleet.openConnections()).toBe(0);
});
