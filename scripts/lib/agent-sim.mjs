/**
 * Lightweight simulated agents for bench:agents --fleet and the fleet-scale tests:
 * thousands per process, a few processes, each agent speaking the Beacon agent's
 * real protocols (product/agent/*.mjs):
 *   HTTP: its own port on 127.0.0.1; GET /health {status, version}; POST /upgrade
 *     with the bearer token checked, the package really downloaded from the given
 *     url and its sha256 checked, 202 {status:'upgrading', from, to}, then a
 *     simulated restart (connections refused... here: cut) for `restartMs`, then the
 *     new version on /health.
 *   AMQP: queue beacon.agent.<id> bound upgrade.<id> on the topic exchange
 *     beacon.agents, commands {token, url, sha256} answered on replyTo with the
 *     correlationId, status.<id> {id, version, status:'ok'} announced when ready
 *     (so again after the restart); {token, query: 'version'} is answered with
 *     {status: 'ok' | 'upgrading', id, version}. Queues are exclusive to the simulator's
 *     connection (the real agent's are durable) so a run leaves nothing behind.
 * Each agent counts the commands it got, and those it got while already running
 * the version the command's package holds (what a rerun must never send).
 * The version a package holds comes from `packages` (sha256 -> version), known to
 * the simulator as a real agent knows it by unpacking.
 *
 *   const fleet = await startSimFleet({ n: 1000, token, from: '4.1.1', packages: { [sha]: '4.2.0' } });
 *   fleet.agents // [{ id, address }]; await fleet.stats(); await fleet.stop();
 *
 * Behaviours per agent index: 'offline' (nothing listens / no queue, until
 * setOnline), 'refuse' (400 BAD_PACKAGE), 'badtoken' (another token: 401), 'slow'
 * (restarts 10x slower).
 */
import { fork } from 'node:child_process';
import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);

// ---------------------------------------------------------------- parent side

/** starts `processes` simulator processes sharing `n` agents; resolves when every agent listens */
export async function startSimFleet({ n, processes = 4, token, from, packages, restartMs = 200, amqp, idPrefix = 'sim', behaviour = {} }) {
  const per = Math.ceil(n / processes);
  const workers = [];
  const agents = new Array(n);
  const started = [];
  for (let p = 0; p * per < n; p++) {
    const lo = p * per;
    const hi = Math.min(n, lo + per);
    const child = fork(SELF, ['--sim-worker'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const w = { child, lo, hi, pending: new Map(), seq: 0, exited: new Promise((r) => child.once('exit', r)) };
    child.on('message', (m) => {
      const done = w.pending.get(m.seq);
      if (done) {
        w.pending.delete(m.seq);
        m.error ? done.reject(new Error(m.error)) : done.resolve(m);
      }
    });
    child.once('exit', () => {
      for (const d of w.pending.values()) d.reject(new Error('a simulator process exited'));
      w.pending.clear();
    });
    workers.push(w);
    const spec = [];
    for (let i = lo; i < hi; i++) spec.push({ index: i, id: `${idPrefix}-${String(i).padStart(5, '0')}`, behaviour: behaviour[i] ?? 'ok' });
    started.push(
      call(w, { type: 'start', agents: spec, token, from, packages, restartMs, amqp }).then((m) => {
        for (const a of m.agents) agents[a.index] = { id: a.id, address: a.address };
      }),
    );
  }
  try {
    await Promise.all(started);
  } catch (e) {
    for (const w of workers) w.child.kill('SIGKILL');
    throw e;
  }
  const each = (msg) => Promise.all(workers.map((w) => call(w, msg)));
  return {
    agents,
    /** per agent (fleet index): commands received, commands received while already on the package's version, version now */
    async stats() {
      const commands = new Array(n).fill(0);
      const redundant = new Array(n).fill(0);
      const versions = new Array(n);
      for (const m of await each({ type: 'stats' })) {
        for (const s of m.stats) {
          commands[s.index] = s.commands;
          redundant[s.index] = s.redundant;
          versions[s.index] = s.version;
        }
      }
      return { commands, redundant, versions };
    },
    /** an offline agent starts answering (same address) */
    async setOnline(indices) {
      const set = new Set(indices);
      await Promise.all(
        workers.map((w) => {
          const mine = [...set].filter((i) => i >= w.lo && i < w.hi);
          return mine.length ? call(w, { type: 'online', indices: mine }) : undefined;
        }),
      );
    },
    /** connections open to the agents' HTTP ports right now (what a client keeps per agent) */
    async openConnections() {
      return (await each({ type: 'connections' })).reduce((s, m) => s + m.open, 0);
    },
    /** the simulators' own CPU (user + system) in seconds */
    async cpuSeconds() {
      return (await each({ type: 'cpu' })).reduce((s, m) => s + m.cpu, 0);
    },
    async stop() {
      for (const w of workers) w.child.kill('SIGKILL');
      await Promise.all(workers.map((w) => w.exited));
    },
  };
}

function call(w, msg) {
  const seq = ++w.seq;
  return new Promise((resolve, reject) => {
    w.pending.set(seq, { resolve, reject });
    w.child.send({ ...msg, seq });
  });
}

// ---------------------------------------------------------------- simulator process

const digest = (s) => createHash('sha256').update(String(s)).digest();
const tokenMatches = (presented, expected) => timingSafeEqual(digest(typeof presented === 'string' ? presented : ''), digest(expected));
/** one pool for the package downloads of all agents in this process, as hosts would share a proxy */
const downloads = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** downloads the package, hashing while reading; resolves with its sha256 */
function download(url) {
  return new Promise((resolve, reject) => {
    if (!/^http:\/\//.test(url ?? '')) return reject(Object.assign(new Error('url must be http://'), { code: 'BAD_SOURCE' }));
    http
      .get(url, { agent: downloads }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          return reject(Object.assign(new Error(`downloading answered ${res.statusCode}`), { code: 'DOWNLOAD_FAILED' }));
        }
        const hash = createHash('sha256');
        res.on('data', (c) => hash.update(c));
        res.once('end', () => resolve(hash.digest('hex')));
        res.once('error', (e) => reject(Object.assign(e, { code: 'DOWNLOAD_FAILED' })));
      })
      .once('error', (e) => reject(Object.assign(new Error(`cannot download: ${e.message}`), { code: 'DOWNLOAD_FAILED' })));
  });
}

class SimAgent {
  constructor(spec, cfg) {
    Object.assign(this, spec);
    this.cfg = cfg;
    this.version = cfg.from;
    this.busy = false;
    this.restarting = false;
    this.commands = 0;
    this.redundant = 0;
    this.token = spec.behaviour === 'badtoken' ? `${cfg.token}-not` : cfg.token;
  }

  /** the agent's one upgrade path: token, busy, sha256, download + check; resolves with the new version */
  async upgrade(presented, body) {
    this.commands++;
    if (this.cfg.packages[String(body?.sha256 ?? '').toLowerCase()] === this.version) this.redundant++;
    if (!tokenMatches(presented, this.token)) throw Object.assign(new Error('missing or wrong bearer token'), { code: 'UNAUTHORIZED', status: 401 });
    if (this.busy) throw Object.assign(new Error('an upgrade is already running'), { code: 'BUSY', status: 409 });
    const expected = String(body?.sha256 ?? '').toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(expected)) throw Object.assign(new Error('"sha256" must be 64 hex digits'), { code: 'BAD_REQUEST', status: 400 });
    this.busy = true;
    try {
      const actual = await download(body.url);
      if (actual !== expected) throw Object.assign(new Error(`the package sha256 is ${actual}, expected ${expected}`), { code: 'SHA256_MISMATCH', status: 400 });
      if (this.behaviour === 'refuse') throw Object.assign(new Error('the package is damaged (simulated)'), { code: 'BAD_PACKAGE', status: 400 });
      const to = this.cfg.packages[actual];
      if (!to) throw Object.assign(new Error('the package holds no agent release'), { code: 'BAD_PACKAGE', status: 400 });
      return to;
    } catch (e) {
      this.busy = false;
      throw Object.assign(e, { status: e.status ?? 502, code: e.code ?? 'DOWNLOAD_FAILED' });
    }
  }

  /** after the answer: the process "re-execs" (nothing answers for restartMs), then runs `to` */
  restart(to, ready) {
    this.restarting = true;
    const ms = this.cfg.restartMs * (this.behaviour === 'slow' ? 10 : 1);
    setTimeout(() => {
      this.version = to;
      this.busy = false;
      this.restarting = false;
      ready?.();
    }, ms);
  }
}

async function listenHttp(agent) {
  const server = http.createServer(async (req, res) => {
    if (agent.restarting) return req.socket.destroy();
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    const send = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.method === 'GET' && pathname === '/health') return send(200, { status: agent.busy ? 'upgrading' : 'ok', version: agent.version });
    if (req.method !== 'POST' || pathname !== '/upgrade') return send(404, { error: `no route ${req.method} ${pathname}` });
    let text = '';
    for await (const chunk of req) text += chunk;
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      return send(400, { error: 'BAD_REQUEST', message: 'the body is not JSON' });
    }
    try {
      const to = await agent.upgrade(req.headers.authorization?.replace(/^Bearer /, '') ?? '', body);
      res.once('finish', () => {
        agent.restart(to);
      });
      res.setHeader('connection', 'close');
      send(202, { status: 'upgrading', from: agent.version, to });
    } catch (e) {
      send(e.status, { error: e.code, message: e.message });
    }
  });
  server.keepAliveTimeout = 2000;
  agent.server = server;
  await new Promise((resolve, reject) => server.once('error', reject).listen(agent.port ?? 0, '127.0.0.1', resolve));
  agent.port = server.address().port;
}

async function startAmqpSide(agents, cfg) {
  const { default: amqplib } = await import('amqplib');
  const conn = await amqplib.connect(cfg.amqp);
  const ch = await conn.createChannel();
  await ch.assertExchange('beacon.agents', 'topic', { durable: true });
  await ch.prefetch(1000);
  const status = (a) => ch.publish('beacon.agents', `status.${a.id}`, Buffer.from(JSON.stringify({ id: a.id, version: a.version, status: 'ok' })), { contentType: 'application/json' });
  const subscribe = async (a) => {
    const queue = `beacon.agent.${a.id}`;
    await ch.assertQueue(queue, { exclusive: true });
    await ch.bindQueue(queue, 'beacon.agents', `upgrade.${a.id}`);
    await ch.consume(queue, async (msg) => {
      if (!msg) return;
      const { correlationId, replyTo } = msg.properties;
      let body = null;
      try {
        body = JSON.parse(msg.content.toString('utf8'));
      } catch {
        /* answered BAD_REQUEST below */
      }
      let reply;
      try {
        if (!body || typeof body !== 'object') throw Object.assign(new Error('the command is not a JSON object'), { code: 'BAD_REQUEST' });
        if (body.query === 'version') {
          if (!tokenMatches(body.token, a.token)) throw Object.assign(new Error('missing or wrong token'), { code: 'UNAUTHORIZED' });
          reply = { status: a.busy ? 'upgrading' : 'ok', id: a.id, version: a.version };
        } else {
          const to = await a.upgrade(body.token, body);
          reply = { status: 'upgrading', from: a.version, to };
          a.restart(to, () => status(a));
        }
      } catch (e) {
        reply = { error: e.code ?? 'INTERNAL', message: e.message };
      }
      if (replyTo) ch.sendToQueue(replyTo, Buffer.from(JSON.stringify(reply)), { correlationId, contentType: 'application/json' });
      ch.ack(msg);
    });
    status(a);
  };
  // several subscriptions in flight: amqplib pipelines a channel's RPCs in order
  const queue = agents.filter((a) => a.behaviour !== 'offline');
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (queue.length) await subscribe(queue.shift());
    }),
  );
  return { subscribe };
}

async function worker() {
  const agents = new Map();
  let amqpSide;
  process.on('message', async (m) => {
    try {
      if (m.type === 'start') {
        const cfg = { token: m.token, from: m.from, packages: m.packages, restartMs: m.restartMs, amqp: m.amqp };
        const list = m.agents.map((spec) => new SimAgent(spec, cfg));
        for (const a of list) agents.set(a.index, a);
        if (cfg.amqp) amqpSide = await startAmqpSide(list, cfg);
        else {
          const todo = [...list];
          await Promise.all(
            Array.from({ length: 32 }, async () => {
              while (todo.length) await listenHttp(todo.shift());
            }),
          );
          // offline ones close only now, so no other agent of the fleet can be given their port
          for (const a of list) if (a.behaviour === 'offline') await new Promise((r) => a.server.close(r));
        }
        const address = (a) => (cfg.amqp ? `amqp:${a.id}` : `http://127.0.0.1:${a.port}`);
        process.send({ seq: m.seq, agents: list.map((a) => ({ index: a.index, id: a.id, address: address(a) })) });
      } else if (m.type === 'stats') {
        process.send({ seq: m.seq, stats: [...agents.values()].map((a) => ({ index: a.index, commands: a.commands, redundant: a.redundant, version: a.version })) });
      } else if (m.type === 'online') {
        for (const i of m.indices) {
          const a = agents.get(i);
          a.behaviour = 'ok';
          if (amqpSide) await amqpSide.subscribe(a);
          else await listenHttp(a);
        }
        process.send({ seq: m.seq });
      } else if (m.type === 'connections') {
        const counts = await Promise.all([...agents.values()].map((a) => new Promise((r) => (a.server?.listening ? a.server.getConnections((_, n) => r(n ?? 0)) : r(0)))));
        process.send({ seq: m.seq, open: counts.reduce((x, y) => x + y, 0) });
      } else if (m.type === 'cpu') {
        const u = process.resourceUsage();
        process.send({ seq: m.seq, cpu: (u.userCPUTime + u.systemCPUTime) / 1e6 });
      }
    } catch (e) {
      process.send({ seq: m.seq, error: e.message });
    }
  });
  process.once('disconnect', () => process.exit(0));
}

if (process.argv[2] === '--sim-worker') worker();
