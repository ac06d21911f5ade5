import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, type ConsumeMessage } from 'amqplib';
import { build } from 'esbuild';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { AmqpTransport } from '../../src/agents/amqp-transport.js';
import type { PackageServer } from '../../src/agents/package-server.js';
import { AgentError, type AgentRecord } from '../../src/agents/types.js';
import { serveAgentPackage, startAgent, stopAllAgents, upgradeFailure, type RunningAgent } from '../helpers/agents.js';
import { freePort } from '../helpers/manager.js';
import { serviceAvailable } from '../helpers/services.js';

const BROKER = 'amqp://guest:guest@127.0.0.1:5672';
const TOKEN = 'test-agent-token-7d2b';
// agent queues are durable and shared by every run against this broker: ids must not collide
const RUN = randomBytes(4).toString('hex');
const ids: string[] = [];
const newId = () => {
  ids.push(`t${RUN}-${ids.length + 1}`);
  return ids[ids.length - 1];
};
let pkg: PackageServer & { sha256: string };
const transports: AmqpTransport[] = [];

const record = (a: { id: string }): AgentRecord => ({ id: a.id, address: `amqp:${a.id}`, version: '4.1.1', state: 'online' });
const transport = (o: { token?: string; sha256?: string; url?: string } = {}) => {
  const t = new AmqpTransport({ url: o.url ?? BROKER, exchange: 'beacon.agents', target: '4.2.0', token: o.token ?? TOKEN, package: { url: pkg.url, sha256: o.sha256 ?? pkg.sha256 } });
  transports.push(t);
  return t;
};
const amqpAgent = (o: { token?: string; http?: boolean; supervised?: boolean; amqpFile?: boolean } = {}) =>
  startAgent({ version: '4.1.1', token: o.token ?? TOKEN, id: newId(), amqp: BROKER, http: o.http, supervised: o.supervised, amqpFile: o.amqpFile });
const healthOf = async (a: RunningAgent) => (await fetch(`${a.httpUrl}/health`)).json();
const pidOf = async (a: RunningAgent) => Number((await readFile(path.join(a.home, 'agent.pid'), 'utf8')).trim());

/** a test's own view of the broker: status messages of the agents it watches, and replies to what it sends */
async function observe() {
  const conn = await connect(BROKER);
  const ch = await conn.createChannel();
  await ch.assertExchange('beacon.agents', 'topic', { durable: true });
  const { queue } = await ch.assertQueue('', { exclusive: true });
  const seen: ConsumeMessage[] = [];
  const events = new EventEmitter();
  await ch.consume(
    queue,
    (m) => {
      if (m) {
        seen.push(m);
        events.emit('message');
      }
    },
    { noAck: true },
  );
  const body = (m: ConsumeMessage) => JSON.parse(m.content.toString());
  return {
    ch,
    queue,
    watch: (id: string) => ch.bindQueue(queue, 'beacon.agents', `status.${id}`),
    /** the first message (seen so far or later) that matches */
    until: (match: (m: ConsumeMessage) => boolean) =>
      new Promise<Record<string, unknown>>((resolve) => {
        const check = () => {
          const m = seen.find(match);
          if (m) {
            events.off('message', check);
            resolve(body(m));
          }
        };
        events.on('message', check);
        check();
      }),
    close: () => conn.close(),
  };
}
const statusOf = (id: string, version: string) => (m: ConsumeMessage) => m.fields.routingKey === `status.${id}` && JSON.parse(m.content.toString()).version === version;

describe.skipIf(!(await serviceAvailable('amqp')))('AmqpTransport against RabbitMQ and real agents', () => {
  beforeAll(async () => {
    pkg = await serveAgentPackage('4.2.0');
  });
  afterEach(() => stopAllAgents());
  afterAll(async () => {
    await stopAllAgents();
    await Promise.all(transports.map((t) => t.close()));
    await pkg?.close();
    const conn = await connect(BROKER);
    const ch = await conn.createChannel();
    for (const id of ids) await ch.deleteQueue(`beacon.agent.${id}`);
    await conn.close();
  });

  it('upgrades 4.1.1 to 4.2.0, and the re-executed agent announces 4.2.0 and consumes again', async () => {
    const agent = await amqpAgent();
    const obs = await observe();
    try {
      await obs.watch(agent.id);
      expect(await healthOf(agent)).toMatchObject({ version: '4.1.1' });
      expect(await transport().upgrade(record(agent), AbortSignal.timeout(30_000))).toBe('4.2.0');
      expect(await obs.until(statusOf(agent.id, '4.2.0'))).toEqual({ id: agent.id, version: '4.2.0', status: 'ok' });
      expect(await healthOf(agent)).toEqual({ status: 'ok', version: '4.2.0' });
      expect(await pidOf(agent)).not.toBe(agent.pid);
      expect((await obs.ch.checkQueue(`beacon.agent.${agent.id}`)).consumerCount).toBe(1);
      expect(agent.log.join('\n')).not.toContain(TOKEN);
    } finally {
      await obs.close();
    }
  });

  it('an agent in doubt is asked its version first: upgraded already, it gets no second command; not yet, it is upgraded', async () => {
    const agent = await amqpAgent();
    const t = transport();
    expect(await t.upgrade(record(agent), AbortSignal.timeout(30_000))).toBe('4.2.0');
    const pid = await pidOf(agent);
    expect(await t.upgrade(record(agent), AbortSignal.timeout(30_000), { inDoubt: true })).toBe('4.2.0');
    // the same process still runs: nothing was installed or re-executed
    expect(await pidOf(agent)).toBe(pid);
    expect(agent.log.filter((l) => l.includes('upgrade installed'))).toHaveLength(1);
    const fresh = await amqpAgent();
    expect(await t.upgrade(record(fresh), AbortSignal.timeout(30_000), { inDoubt: true })).toBe('4.2.0');
    expect(await healthOf(fresh)).toEqual({ status: 'ok', version: '4.2.0' });
    // a wrong token is refused on the query already, without the token in the message
    const stranger = await amqpAgent({ token: 'another-fleets-token' });
    const e = await upgradeFailure(t.upgrade(record(stranger), AbortSignal.timeout(30_000), { inDoubt: true }));
    expect(e).toMatchObject({ retryable: false });
    expect(e.message).toContain('rejected the token');
  });

  it('with --amqp-file the broker password is in no process list, before or after the upgrade', async () => {
    const agent = await amqpAgent({ amqpFile: true });
    const cmdline = async () => (await readFile(`/proc/${await pidOf(agent)}/cmdline`, 'utf8')).split('\0');
    expect(await cmdline()).toContain('--amqp-file');
    expect((await cmdline()).join(' ')).not.toContain('guest:guest');
    expect(await transport().upgrade(record(agent), AbortSignal.timeout(30_000))).toBe('4.2.0');
    expect(await healthOf(agent)).toEqual({ status: 'ok', version: '4.2.0' });
    expect((await cmdline()).join(' ')).not.toContain('guest:guest');
  });

  it('upgrades five AMQP-only agents at once through one transport, and refuses a sixth alone', async () => {
    const fleet = await Promise.all([1, 2, 3, 4, 5].map(() => amqpAgent({ http: false })));
    const stranger = await amqpAgent({ token: 'another-fleets-token', http: false });
    const obs = await observe();
    try {
      for (const a of fleet) await obs.watch(a.id);
      const t = transport();
      const results = await Promise.allSettled([...fleet, stranger].map((a) => t.upgrade(record(a), AbortSignal.timeout(60_000))));
      expect(results.slice(0, 5)).toEqual(fleet.map(() => ({ status: 'fulfilled', value: '4.2.0' })));
      expect(results[5]).toMatchObject({ status: 'rejected', reason: { message: `agent ${stranger.id} rejected the token`, retryable: false } });
      for (const a of fleet) expect(await obs.until(statusOf(a.id, '4.2.0'))).toEqual({ id: a.id, version: '4.2.0', status: 'ok' });
      for (const a of fleet) expect(await pidOf(a)).not.toBe(a.pid);
      expect(await pidOf(stranger)).toBe(stranger.pid);
    } finally {
      await obs.close();
    }
  });

  it('reports a wrong token as not retryable, without the token', async () => {
    const agent = await amqpAgent();
    const err = await upgradeFailure(transport({ token: 'wrong-token-9c1e' }).upgrade(record(agent), AbortSignal.timeout(30_000)));
    expect(err).toBeInstanceOf(AgentError);
    expect([err.retryable, err.message]).toEqual([false, `agent ${agent.id} rejected the token`]);
    expect(await healthOf(agent)).toMatchObject({ version: '4.1.1' });
  });

  it('reports a sha256 mismatch as a refused package, not retryable', async () => {
    const agent = await amqpAgent();
    const err = await upgradeFailure(transport({ sha256: '0'.repeat(64) }).upgrade(record(agent), AbortSignal.timeout(30_000)));
    expect(err).toBeInstanceOf(AgentError);
    expect(err.retryable).toBe(false);
    expect(err.message).toContain(`agent ${agent.id} refused the package: the package sha256 is ${pkg.sha256}`);
    expect(err.message).not.toContain(TOKEN);
    expect(await healthOf(agent)).toMatchObject({ version: '4.1.1' });
  });

  it('answers a malformed command with BAD_REQUEST, takes it off the queue, and keeps serving', async () => {
    const agent = await amqpAgent();
    const obs = await observe();
    try {
      obs.ch.publish('beacon.agents', `upgrade.${agent.id}`, Buffer.from('{not json'), { replyTo: obs.queue, correlationId: 'c-1' });
      expect(await obs.until((m) => m.properties.correlationId === 'c-1')).toMatchObject({ error: 'BAD_REQUEST' });
      expect((await obs.ch.checkQueue(`beacon.agent.${agent.id}`)).messageCount).toBe(0);
      expect(await transport().upgrade(record(agent), AbortSignal.timeout(30_000))).toBe('4.2.0');
    } finally {
      await obs.close();
    }
  });

  it('reports an id without a queue on the broker as retryable', async () => {
    const id = newId();
    const err = await upgradeFailure(transport().upgrade(record({ id }), AbortSignal.timeout(30_000)));
    expect(err).toBeInstanceOf(AgentError);
    expect([err.retryable, err.message]).toEqual([true, `agent ${id} has no queue on the broker (is it running with --amqp?)`]);
  });

  it('gives up when the signal aborts while waiting for the new version', async () => {
    // --supervised: the agent exits after answering and no supervisor brings it back
    const agent = await amqpAgent({ supervised: true });
    const ctl = new AbortController();
    const reason = new Error('attempt timed out');
    const pending = upgradeFailure(transport().upgrade(record(agent), ctl.signal));
    await agent.exited;
    ctl.abort(reason);
    expect(await pending).toBe(reason);
  });

  it('reports a broker it cannot reach as retryable, without credentials, and connects on the next upgrade', async () => {
    const port = await freePort();
    const t = transport({ url: `amqp://guest:guest@127.0.0.1:${port}/` });
    const id = newId();
    const err = await upgradeFailure(t.upgrade(record({ id }), AbortSignal.timeout(30_000)));
    expect(err).toBeInstanceOf(AgentError);
    expect([err.retryable, err.message]).toEqual([true, `the broker at amqp://127.0.0.1:${port} could not be reached (ECONNREFUSED)`]);
    expect(err.message).not.toContain('guest');
    // the broker appears on that port (a TCP relay to the real one): the next attempt uses it
    const relay = net.createServer((c) => {
      const up = net.connect(5672, '127.0.0.1');
      c.pipe(up).pipe(c);
      up.on('error', () => c.destroy());
      c.on('error', () => up.destroy());
    });
    await new Promise<void>((r) => relay.listen(port, '127.0.0.1', r));
    try {
      const again = await upgradeFailure(t.upgrade(record({ id }), AbortSignal.timeout(30_000)));
      expect(again.message).toBe(`agent ${id} has no queue on the broker (is it running with --amqp?)`);
      await t.close();
    } finally {
      await new Promise((r) => relay.close(r));
    }
  });

  it('lets the process exit after close()', async () => {
    // a separate process: whatever close() leaves open would keep it alive
    const dir = await mkdtemp(path.join(tmpdir(), 'uphop-amqp-close-'));
    const script = path.join(dir, 'check.cjs');
    await build({
      stdin: {
        resolveDir: process.cwd(),
        loader: 'ts',
        contents: `
        import { AmqpTransport } from './src/agents/amqp-transport.ts';
        (async () => {
          const [url, id] = process.argv.slice(2);
          const t = new AmqpTransport({ url, exchange: 'beacon.agents', target: '4.2.0', token: 'child-token-4e1f', package: { url: 'http://127.0.0.1:9/p.tgz', sha256: '${'0'.repeat(64)}' } });
          const err = await t.upgrade({ id, address: 'amqp:' + id, version: null, state: 'online' }, AbortSignal.timeout(30000)).catch((e) => e);
          console.log(err.message);
          await t.close();
        })();`,
      },
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      outfile: script,
      logLevel: 'silent',
    });
    const id = newId();
    const child = spawn(process.execPath, [script, BROKER, id], { stdio: ['ignore', 'pipe', 'inherit'] });
    // runs even when the test times out waiting for the exit: a failed run leaves nothing behind
    onTestFinished(async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const code = await new Promise((r) => child.once('exit', r));
    expect([code, out.trim()]).toEqual([0, `agent ${id} has no queue on the broker (is it running with --amqp?)`]);
  });
});
