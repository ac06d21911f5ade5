/**
 * Real Beacon agents for tests, run from the packed artifacts the way a host runs
 * them: <home>/releases/<v> unpacked, <home>/current pointing at it, agent.js
 * started from current. An agent re-execs itself on upgrade, so stop() kills the
 * process named in <home>/agent.pid as well as the one it spawned. With `amqp` the
 * agent also takes commands from that broker (`--amqp URL --id <id>`) and its
 * address is `amqp:<id>`.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import * as tar from 'tar';
import { servePackage, type PackageServer } from '../../src/agents/package-server.js';
import { freePort, type Sandbox } from './manager.js';

export const agentArtifact = (version: string) => path.resolve('artifacts', `beacon-agent-${version}.tgz`);

/** global setup packs the artifacts; a run with UPHOP_SKIP_BUILD may not have them yet */
export function ensureAgentArtifacts(versions: string[]): void {
  if (versions.every((v) => existsSync(agentArtifact(v)))) return;
  execFileSync(process.execPath, ['scripts/pack-components.mjs', '--components', 'agent'], { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** the agent package of `version` served as the manager serves it, with the sha256 a transport sends along */
export async function serveAgentPackage(version: string): Promise<PackageServer & { sha256: string }> {
  ensureAgentArtifacts([version]);
  const file = agentArtifact(version);
  const sha256 = createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
  return { ...(await servePackage({ file })), sha256 };
}

/** what an upgrade that must fail rejected with (a success fails the test) */
export const upgradeFailure = (p: Promise<unknown>): Promise<any> =>
  p.then(
    () => {
      throw new Error('expected the upgrade to fail');
    },
    (e) => e,
  );

export interface RunningAgent {
  id: string;
  /** as the manager's agents table holds it: the HTTP base URL, or amqp:<id> for an agent started with `amqp` */
  address: string;
  /** the HTTP base URL (GET /health), unless started with `http: false` */
  httpUrl?: string;
  /** 0 when it serves no HTTP */
  port: number;
  home: string;
  /** the pid of the process started here (after an upgrade, <home>/agent.pid names another) */
  pid: number;
  /** the agent's stdout lines so far, re-executed processes included */
  log: string[];
  /** resolves when the process started here has exited */
  exited: Promise<void>;
  stop(): Promise<void>;
}

const running = new Set<RunningAgent>();
let seq = 0;

const kill = (pid: number) => {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
};

export async function startAgent(o: {
  version: string;
  token: string;
  id?: string;
  home?: string;
  supervised?: boolean;
  /** broker URL: the agent also consumes upgrade commands (needs an id unique on that broker) */
  amqp?: string;
  /** false: no --port, the agent only speaks AMQP (default true) */
  http?: boolean;
  /** pass the broker URL as --amqp-file <home>/amqp-url (0600) rather than on the command line */
  amqpFile?: boolean;
}): Promise<RunningAgent> {
  ensureAgentArtifacts([o.version]);
  const home = o.home ?? (await mkdtemp(path.join(tmpdir(), 'uphop-agent-')));
  const release = path.join(home, 'releases', o.version);
  await mkdir(release, { recursive: true });
  await tar.x({ file: agentArtifact(o.version), cwd: release });
  await rm(path.join(home, 'current'), { force: true });
  await symlink(path.join('releases', o.version), path.join(home, 'current'));

  const id = o.id ?? `agent-${++seq}`;
  // a fixed port, not 0: the agent re-execs with the same arguments and must come back where it was
  const port = o.http === false ? 0 : await freePort();
  const args = [path.join(home, 'current', 'agent.js'), '--home', home];
  if (port) args.push('--port', String(port), '--host', '127.0.0.1');
  if (o.amqp && o.amqpFile) {
    await writeFile(path.join(home, 'amqp-url'), `${o.amqp}\n`, { mode: 0o600 });
    args.push('--amqp-file', path.join(home, 'amqp-url'), '--id', id);
  } else if (o.amqp) args.push('--amqp', o.amqp, '--id', id);
  if (o.supervised) args.push('--supervised');
  const child: ChildProcess = spawn(process.execPath, args, { env: { ...process.env, BEACON_AGENT_TOKEN: o.token }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  // the re-executed agent inherits this pipe: it closes only when every agent process is gone
  const pipeClosed = new Promise<void>((r) => child.stdout!.once('close', () => r()));
  const log: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));

  const agent: RunningAgent = {
    id,
    address: o.amqp ? `amqp:${id}` : `http://127.0.0.1:${port}`,
    httpUrl: port ? `http://127.0.0.1:${port}` : undefined,
    port,
    home,
    pid: child.pid!,
    log,
    exited,
    async stop() {
      running.delete(agent);
      const pidFile = await readFile(path.join(home, 'agent.pid'), 'utf8').catch(() => '');
      const current = Number(pidFile.trim());
      if (current > 1 && current !== child.pid) kill(current);
      kill(child.pid!);
      // bounded: a grandchild that init has not reaped yet must not hang the suite
      await Promise.race([pipeClosed, new Promise((r) => setTimeout(r, 5000).unref())]);
      if (!o.home) await rm(home, { recursive: true, force: true });
    },
  };
  running.add(agent);

  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      log.push(line);
      try {
        if (JSON.parse(line).msg === 'listening') resolve();
      } catch {
        /* not a log line */
      }
    });
    child.once('exit', (code) => reject(new Error(`agent ${o.version} exited with ${code} before listening: ${stderr.trim()}`)));
  }).catch(async (e) => {
    await agent.stop();
    throw e;
  });
  return agent;
}

/** for afterEach/afterAll: stops every agent started here that is still running */
export async function stopAllAgents(): Promise<void> {
  await Promise.all([...running].map((a) => a.stop()));
}

/** the version the agent reports on GET /health */
export async function agentVersion(a: RunningAgent): Promise<string> {
  return ((await (await fetch(`${a.httpUrl}/health`)).json()) as { version: string }).version;
}

/** rows in the manager's agents table for these agents, each `ok` on `version` (as the manager last saw them) */
export async function registerAgents(sb: Sandbox, agents: RunningAgent[], version: string): Promise<void> {
  await sb
    .db()('agents')
    .insert(agents.map((a) => ({ id: a.id, address: a.address, version, state: 'ok' })));
}
