/**
 * A fleet of real Beacon agents for bench:agents, laid out the way a host runs them
 * (<home>/releases/<v> unpacked from the packed artifact, <home>/current pointing at
 * it) and started from current. An agent re-execs itself (detached) on upgrade, so
 * each one remembers every pid it ran as: the one spawned here, those its
 * "re-executed" log lines name, and <home>/agent.pid; stop() kills them all by pid.
 * Every spawned agent is tracked here from its first moment, so stopAllAgents()
 * also reaches those still starting when a run fails or is interrupted.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, symlink } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import * as tar from 'tar';

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = net.createServer().once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
const running = new Set();
let closing = false;
const kill = (pid) => {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
};

/** one agent from `tgz` in `home`; resolves once it logged "listening" (HTTP and, with `amqp`, the broker ready) */
export async function startAgent({ tgz, home, id, token, amqp }) {
  const version = /beacon-agent-(.+)\.tgz$/.exec(tgz)[1];
  await mkdir(path.join(home, 'releases', version), { recursive: true });
  await tar.x({ file: tgz, cwd: path.join(home, 'releases', version) });
  await symlink(path.join('releases', version), path.join(home, 'current'));
  // a fixed port, not 0: the re-executed agent gets the same arguments and must come back where it was;
  // AMQP agents get one too, so their version can be checked on GET /health
  const port = await freePort();
  const args = [path.join(home, 'current', 'agent.js'), '--home', home, '--port', String(port), '--host', '127.0.0.1'];
  if (amqp) args.push('--amqp', amqp, '--id', id);
  if (closing) throw new Error(`agent ${id} not started: the bench is stopping`);
  const child = spawn(process.execPath, args, { env: { ...process.env, BEACON_AGENT_TOKEN: token }, stdio: ['ignore', 'pipe', 'pipe'] });
  const pids = new Set([child.pid]);
  // the re-executed agent inherits this pipe: it closes once every process of this agent is gone
  const pipeClosed = new Promise((r) => child.stdout.once('close', r));
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-2000);
  });
  const agent = {
    id,
    home,
    httpUrl: `http://127.0.0.1:${port}`,
    address: amqp ? `amqp:${id}` : `http://127.0.0.1:${port}`,
    async stop() {
      running.delete(agent);
      // a re-exec may be between spawn and its pid file: go round until the pipe says everyone is gone
      for (let round = 0; round < 5; round++) {
        const current = Number((await readFile(path.join(home, 'agent.pid'), 'utf8').catch(() => '')).trim());
        if (current > 1) pids.add(current);
        for (const pid of pids) kill(pid);
        if (await Promise.race([pipeClosed.then(() => true), new Promise((r) => setTimeout(r, 1000, false))])) return;
      }
      throw new Error(`agent ${id} (pids ${[...pids].join(', ')}) would not stop`);
    },
  };
  running.add(agent);
  await new Promise((resolve, reject) => {
    // read every line, also after "listening": a full pipe would block the agent
    createInterface({ input: child.stdout }).on('line', (line) => {
      let m;
      try {
        m = JSON.parse(line);
      } catch {
        return;
      }
      if (m.msg === 're-executed' && m.pid) pids.add(m.pid);
      if (m.msg === 'listening') resolve();
    });
    child.once('exit', (code) => reject(new Error(`agent ${id} exited with ${code} before listening: ${stderr.trim()}`)));
    setTimeout(() => reject(new Error(`agent ${id} did not log "listening" within 30 s`)), 30_000).unref();
  }).catch(async (e) => {
    await agent.stop().catch(() => {});
    throw e;
  });
  return agent;
}

/** stops every agent started here and still running; `final`: none starts any more (Ctrl-C) */
export async function stopAllAgents({ final = false } = {}) {
  closing ||= final;
  const results = await Promise.allSettled([...running].map((a) => a.stop()));
  const broken = results.find((r) => r.status === 'rejected');
  if (broken) throw broken.reason;
}

/** one agent per id, `concurrency` starting at once, sorted by id */
export async function startFleet({ tgz, dir, ids, token, amqp, concurrency = 8 }) {
  const into = [];
  let next = 0;
  let broken;
  const worker = async () => {
    while (next < ids.length && !broken) {
      const id = ids[next++];
      try {
        into.push(await startAgent({ tgz, home: path.join(dir, id), id, token, amqp }));
      } catch (e) {
        broken ??= e;
      }
    }
  };
  // settle every worker before throwing, so no agent starts after the caller's cleanup ran
  await Promise.all(Array.from({ length: concurrency }, worker));
  if (broken) throw broken;
  return into.sort((a, b) => (a.id < b.id ? -1 : 1));
}

/** the version each agent reports on GET /health, or the error text */
export const healthVersions = (agents) =>
  Promise.all(
    agents.map(async (a) => {
      try {
        const r = await fetch(`${a.httpUrl}/health`, { signal: AbortSignal.timeout(5000) });
        return (await r.json()).version;
      } catch (e) {
        return `(no answer: ${e.message})`;
      }
    }),
  );

/** the agents' durable queues outlive them on the broker; a bench must not leave them behind */
export async function deleteAgentQueues(url, ids) {
  if (ids.length === 0) return;
  const { connect } = await import('amqplib');
  const conn = await connect(url);
  try {
    const ch = await conn.createChannel();
    for (const id of ids) await ch.deleteQueue(`beacon.agent.${id}`);
  } finally {
    await conn.close().catch(() => {});
  }
}
