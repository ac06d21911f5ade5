#!/usr/bin/env node
/**
 * One measurement of bench:agents --fleet, in a process of its own so its CPU and
 * peak RSS are the manager's alone: N simulated agents (agent-sim.mjs, in their
 * own processes) on FROM, registered in a SQLite agents table, then uphop's
 * rollFleet (dist/: package server, transports, engine, progress log, batched DB
 * writes) upgrades them all to TO. Prints one JSON line: wall, CPU, peak RSS and
 * bytes written to disk during the rollout, and the problems found afterwards
 * (agents not on TO, agents commanded while already on it).
 *
 *   node scripts/lib/bench-fleet-run.mjs --transport http|amqp --agents N --concurrency C --dist DIR --work DIR
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startSimFleet } from './agent-sim.mjs';

const { values: a } = parseArgs({
  options: {
    transport: { type: 'string' },
    agents: { type: 'string' },
    concurrency: { type: 'string', default: '100' },
    batch: { type: 'string', default: '100' },
    dist: { type: 'string' },
    work: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    package: { type: 'string' },
    amqp: { type: 'string' },
    processes: { type: 'string', default: '4' },
    'restart-ms': { type: 'string', default: '200' },
  },
});
const n = Number(a.agents);
const dist = a.dist;
const { rollFleet } = await import(path.join(dist, 'agents', 'run.js'));
const { ProgressLog, emptyProgress } = await import(path.join(dist, 'agents', 'progress.js'));
const { resolvePolicy } = await import(path.join(dist, 'agents', 'policy.js'));
const { openDatabase } = await import(path.join(dist, 'drivers', 'db', 'connect.js'));

const token = randomBytes(16).toString('hex');
const sha256 = createHash('sha256')
  .update(await readFile(a.package))
  .digest('hex');
const amqp = a.transport === 'amqp' ? a.amqp : undefined;
const sims = await startSimFleet({
  n,
  processes: Number(a.processes),
  token,
  from: a.from,
  packages: { [sha256]: a.to },
  restartMs: Number(a['restart-ms']),
  amqp,
  idPrefix: `b${randomBytes(3).toString('hex')}`,
});
const problems = [];
let result;
try {
  const knex = openDatabase({ client: 'sqlite', connection: { filename: 'manager.db' } }, { root: a.work });
  await knex.schema.createTable('agents', (t) => {
    t.string('id', 190).primary();
    t.string('address', 255).notNullable();
    t.string('version', 50);
    t.string('state', 20).notNullable().defaultTo('unknown');
    t.timestamp('updated_at').notNullable().defaultTo(knex.fn.now());
  });
  const records = sims.agents.map((s) => ({ id: s.id, address: s.address, version: a.from, state: 'ok' }));
  for (let i = 0; i < records.length; i += 200) await knex('agents').insert(records.slice(i, i + 200));
  const policy = resolvePolicy({ canary: 1, batch: Number(a.batch), concurrency: Number(a.concurrency), retries: 0, timeout: '60s' }, n);
  const log = await ProgressLog.open(path.join(a.work, 'agents', `${a.to}.json`), emptyProgress(a.to, 'bench'));

  const io = async () => Number(/write_bytes: (\d+)/.exec(await readFile('/proc/self/io', 'utf8'))[1]);
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  if (process.env.BENCH_DEBUG) console.error('rss before', process.memoryUsage());
  const [io0, ru0, simCpu0, t0] = [await io(), process.resourceUsage(), await sims.cpuSeconds(), performance.now()];
  // Beacon's agents (and the simulator) use the exchange <product>.agents
  const rollout = await rollFleet({ agents: records, target: a.to, policy, token, package: { file: a.package, sha256 }, amqpUrl: amqp, amqpExchange: 'beacon.agents', knex, table: 'agents', log });
  await log.close();
  const wallS = (performance.now() - t0) / 1000;
  if (process.env.BENCH_DEBUG) {
    globalThis.gc?.();
    console.error('rss after', process.memoryUsage(), 'peak', peak / 2 ** 20);
  }
  const ru1 = process.resourceUsage();
  clearInterval(sampler);
  const [io1, simCpu1] = [await io(), await sims.cpuSeconds()];
  // maxRSS is the process's lifetime peak: setup was small, the rollout is what grows it
  peak = Math.max(peak, ru1.maxRSS * 1024);
  const cpuS = (ru1.userCPUTime + ru1.systemCPUTime - ru0.userCPUTime - ru0.systemCPUTime) / 1e6;

  if (rollout.stopped) problems.push(`the rollout stopped: ${rollout.stopped}`);
  for (const o of rollout.outcomes) if (o.status !== 'upgraded') problems.push(`${o.id}: ${o.status}${o.error ? `: ${o.error}` : ''}`);
  const stats = await sims.stats();
  stats.versions.forEach((v, i) => {
    if (v !== a.to) problems.push(`${sims.agents[i].id} runs ${v}, expected ${a.to}`);
  });
  const redundant = stats.redundant.reduce((s, x) => s + x, 0);
  if (redundant) problems.push(`${redundant} command(s) went to agents already on ${a.to}`);
  const rows = await knex('agents').where({ version: a.to, state: 'ok' }).count({ n: '*' });
  if (Number(rows[0].n) !== n) problems.push(`the agents table has ${rows[0].n} agents on ${a.to}, expected ${n}`);
  await knex.destroy();
  result = {
    transport: a.transport,
    agents: n,
    wallS,
    cpuS,
    peakMB: peak / 2 ** 20,
    writtenMB: (io1 - io0) / 2 ** 20,
    simCpuS: simCpu1 - simCpu0,
    problems: problems.slice(0, 10),
    nProblems: problems.length,
  };
} catch (e) {
  result = { transport: a.transport, agents: n, problems: [e.message], nProblems: 1 };
} finally {
  await sims.stop();
}
process.stdout.write(JSON.stringify(result) + '\n');
