#!/usr/bin/env node
// The README's main job, on the embedded defaults (SQLite, file store, the built-in
// process supervisor): build and sign every reference bundle, show what each holds,
// then take a sandbox manager from a fresh 3.4.2 through the three hops to 4.2.0
// with the REST service answering between hops and three agents rolled out after
// each hop. `--keep` leaves the manager and the agents running.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import * as tar from 'tar';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

const repo = new URL('..', import.meta.url).pathname;
const keep = process.argv.includes('--keep');
const work = mkdtempSync(path.join(tmpdir(), 'uphop-demo-'));
const root = path.join(work, 'manager');
const out = path.join(work, 'bundles');
const say = (text) => console.log(`\n\x1b[1m== ${text}\x1b[0m`);

/** stop the sandbox's services (pidfiles under var/run) and agents (agent.pid): also when the demo fails halfway */
function stopSandbox() {
  const pids = (dir, file = (f) => path.join(dir, f)) => (existsSync(dir) ? readdirSync(dir).map((f) => Number(readFileSync(file(f), 'utf8').split('\n')[0])) : []);
  for (const pid of pids(path.join(root, 'var/run/beacon'))) {
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
  for (const pid of pids(path.join(work, 'agents'), (id) => path.join(work, 'agents', id, 'agent.pid'))) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
}
process.on('exit', () => {
  if (!keep) stopSandbox();
});

function uphop(...args) {
  const r = spawnSync(process.execPath, [path.join(repo, 'dist/cli/main.js'), ...args], { stdio: 'inherit', env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' } });
  if (r.status !== 0) {
    console.error(`demo: "uphop ${args.join(' ')}" exited ${r.status}; the sandbox is kept in ${work}`);
    process.exit(r.status ?? 1);
  }
}

const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

// a pooled keep-alive socket to the service of the previous version is closed by
// its restart: retry once on a fresh connection
async function get(port, p, tries = 3) {
  try {
    return await (await fetch(`http://127.0.0.1:${port}${p}`)).json();
  } catch (e) {
    if (tries <= 1) throw e;
    return get(port, p, tries - 1);
  }
}

/** a Beacon agent as a host runs it: <home>/releases/<v>, <home>/current, started from current */
async function startAgent(id, version, token) {
  const home = path.join(work, 'agents', id);
  mkdirSync(path.join(home, 'releases', version), { recursive: true });
  await tar.x({ file: path.join(repo, 'artifacts', `beacon-agent-${version}.tgz`), cwd: path.join(home, 'releases', version) });
  symlinkSync(path.join('releases', version), path.join(home, 'current'));
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(home, 'current/agent.js'), '--home', home, '--port', String(port)], {
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, BEACON_AGENT_TOKEN: token },
  });
  child.unref();
  for (let i = 0; i < 100 && !(await get(port, '/health', 1).catch(() => null)); i++) await new Promise((r) => setTimeout(r, 100));
  return { id, port, address: `http://127.0.0.1:${port}` };
}

say('pack the Beacon Manager components (3.4.2, 4.0.1, 4.1.1, 4.2.0)');
execFileSync(process.execPath, [path.join(repo, 'scripts/pack-components.mjs')], { stdio: 'inherit' });

say('a signing key, and one signed bundle per hop');
uphop('keygen', '--out', path.join(work, 'keys'));
uphop('build', '--all', '--project', repo, '--out', out, '--sign-key', path.join(work, 'keys/uphop-signing.key'));
const pub = path.join(work, 'keys/uphop-signing.pub');
for (const f of readdirSync(out)
  .filter((f) => f.endsWith('.tar.gz'))
  .sort()) {
  say(`inspect ${f}`);
  uphop('inspect', path.join(out, f));
}

const [restPort, workerPort] = [await freePort(), await freePort()];
const values = path.join(work, 'values.yaml');
writeFileSync(
  values,
  [
    'db:',
    '  client: sqlite',
    '  connection:',
    '    filename: var/lib/beacon/beacon.db',
    'services:',
    '  driver: process',
    `rest_port: ${restPort}`,
    `worker_port: ${workerPort}`,
    'agents:',
    '  token: demo-token',
    '',
  ].join('\n'),
);

say(`fresh install of 3.4.2 under ${root}`);
uphop('install', path.join(out, 'beacon-none-to-3.4.2.tar.gz'), '--root', root, '--values', values, '--trust', pub);
for (let i = 1; i <= 200; i++) {
  await fetch(`http://127.0.0.1:${restPort}/items`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: `Demo item ${i}` }) });
}
console.log(`seeded 200 items; /health says ${JSON.stringify(await get(restPort, '/health'))}`);

say("three agents on 3.4.2, registered in the manager's agents table");
const agents = [];
for (const id of ['edge-1', 'edge-2', 'edge-3']) agents.push(await startAgent(id, '3.4.2', 'demo-token'));
const db = new Database(path.join(root, 'var/lib/beacon/beacon.db'));
const insert = db.prepare("insert into agents (id, address, version, state) values (?, ?, '3.4.2', 'ok')");
for (const a of agents) insert.run(a.id, a.address);
db.close();
uphop('agents', '--root', root);

for (const hop of ['3.4.2-to-4.0.1', '4.0.1-to-4.1.1', '4.1.1-to-4.2.0']) {
  if (hop === '4.1.1-to-4.2.0') {
    say(`rehearse ${hop} on a copy of the manager first: steps, migrations, predicted downtime; the live one keeps serving`);
    uphop('rehearse', path.join(out, `beacon-${hop}.tar.gz`), '--root', root, '--trust', pub);
  }
  say(`hop ${hop}, then its agent rollout (a canary, a pause, the rest)`);
  uphop('install', path.join(out, `beacon-${hop}.tar.gz`), '--root', root, '--trust', pub);
  const items = await get(restPort, '/items');
  console.log(`/health: ${JSON.stringify(await get(restPort, '/health'))}`);
  console.log(`/items: ${items.length} items, first: ${JSON.stringify(items[0])}`);
  console.log(`agents: ${(await Promise.all(agents.map(async (a) => `${a.id} ${(await get(a.port, '/health')).version}`))).join(', ')}`);
}

say('status, history and the report of the last hop');
uphop('status', '--root', root);
uphop('history', '--root', root);
uphop('report', '--root', root);

if (keep) {
  console.log(`\nThe manager keeps running under ${root} (REST on 127.0.0.1:${restPort}), agents on ${agents.map((a) => a.address).join(', ')}.`);
} else {
  stopSandbox();
  rmSync(work, { recursive: true, force: true });
  console.log('\ndemo done: sandbox stopped and removed (run with --keep to explore it).');
}
