#!/usr/bin/env node
/**
 * bench:agents — agent rollout throughput with real Beacon agents on loopback. For
 * each transport (HTTP, then AMQP when a RabbitMQ broker answers): N agents on 4.1.1,
 * the 4.2.0 package served by servePackage, then uphop's engine (dist/) upgrades the
 * first N/4 one at a time (the reference) and the rest 20 at a time (measured).
 * Reports wall ms per agent for both, their ratio, and this process's CPU and peak
 * RSS during the batched run. No target exists yet, so there is no PASS/MISS; exit 1
 * means the bench could not measure (an agent failed or does not report 4.2.0).
 * Everything lives in one temp folder, deleted at the end; agents and their broker
 * queues go too, also on failure or Ctrl-C.
 *
 *   node scripts/bench-agents.mjs [--agents 40] [--rounds 1]
 *   node scripts/bench-agents.mjs --fleet [--sizes 1000,10000] [--concurrency 100]
 *
 * --fleet: simulated agents at fleet scale instead (scripts/lib/agent-sim.mjs, the
 * same simulator the fleet tests use); see scripts/lib/bench-agents-fleet-mode.mjs.
 *
 * BENCH_AMQP_URL overrides the broker (default amqp://guest:guest@127.0.0.1:5672).
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deleteAgentQueues, healthVersions, startFleet, stopAllAgents } from './lib/bench-agents-fleet.mjs';
import { cleanupOnInterrupt, flag, MiB, median, numArg, ratio, table } from './lib/bench-report.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(process.env.UPHOP_DIST ?? path.join(ROOT, 'dist'), 'agents');
const FROM = '4.1.1';
const TO = '4.2.0';
const BATCH = 20;
const AMQP_URL = process.env.BENCH_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const tgz = (v) => path.join(ROOT, 'artifacts', `beacon-agent-${v}.tgz`);

if (!existsSync(path.join(DIST, 'engine.js'))) {
  console.error('bench-agents: dist/ is missing; run `npm run build` first.');
  process.exit(1);
}
for (const v of [FROM, TO]) {
  if (!existsSync(tgz(v))) {
    console.error(`bench-agents: ${path.relative(ROOT, tgz(v))} is missing; run \`node scripts/pack-components.mjs --components agent\` first.`);
    process.exit(1);
  }
}
if (flag('fleet')) {
  const { fleetMode } = await import('./lib/bench-agents-fleet-mode.mjs');
  const at = process.argv.indexOf('--sizes');
  const sizes = (at > 0 ? process.argv[at + 1] : '1000,10000')
    .split(',')
    .map(Number)
    .filter((x) => x > 0);
  const brokerAnswers = async () => {
    try {
      const { connect } = await import('amqplib');
      await (await connect(AMQP_URL, { timeout: 3000 })).close();
      return true;
    } catch (e) {
      console.log(`bench-agents: AMQP skipped: no broker answers (${e.code ?? e.message})`);
      return false;
    }
  };
  const ok = await fleetMode({ root: ROOT, dist: path.dirname(DIST), from: FROM, to: TO, pkg: tgz(TO), amqpUrl: AMQP_URL, brokerAnswers, sizes, concurrency: Math.floor(numArg('concurrency', 100)) });
  process.exit(ok ? 0 : 1);
}
const fleetSize = Math.floor(numArg('agents', 40));
const rounds = Math.floor(numArg('rounds', 1));
if (fleetSize < 2) {
  console.error('--agents needs at least 2: one for the reference run, one for the batched run');
  process.exit(2);
}
const { runRollout } = await import(path.join(DIST, 'engine.js'));
const { fleetTransport } = await import(path.join(DIST, 'transports.js'));
const { servePackage } = await import(path.join(DIST, 'package-server.js'));
const { brokerName } = await import(path.join(DIST, 'amqp-transport.js'));

const token = randomBytes(16).toString('hex');
const sha256 = createHash('sha256')
  .update(await readFile(tgz(TO)))
  .digest('hex');
const work = await mkdtemp(path.join(os.tmpdir(), 'uphop-bench-agents-'));

// what runs right now, so the finally blocks and Ctrl-C can take it all down
const live = { server: undefined, transport: undefined, queues: [] };
async function teardown(final = false) {
  const { server, transport, queues } = live;
  Object.assign(live, { server: undefined, transport: undefined, queues: [] });
  const results = await Promise.allSettled([stopAllAgents({ final }), transport?.close(), server?.close()]);
  // after the agents are gone, or a live agent would assert its queue again
  if (queues.length) results.push(...(await Promise.allSettled([deleteAgentQueues(AMQP_URL, queues)])));
  const broken = results.find((r) => r.status === 'rejected');
  if (broken) throw broken.reason;
}
// after Ctrl-C the run goes on until exit, on a closed transport: its figures would be noise
let interrupted = false;
const say = (line) => {
  if (!interrupted) console.log(line);
};
cleanupOnInterrupt(async () => {
  interrupted = true;
  console.error('bench-agents: interrupted; stopping the agents');
  await teardown(true).catch((e) => console.error(`bench-agents: cleanup: ${e.message}`));
  await rm(work, { recursive: true, force: true });
});

/** one round on one transport: a fresh fleet, the reference run, the batched run, the health check */
async function measure(kind, round) {
  const amqp = kind === 'AMQP';
  // unique per run: the broker is shared, and a queue left by an earlier run must not collect these commands
  const suffix = randomBytes(4).toString('hex');
  const ids = Array.from({ length: fleetSize }, (_, i) => `bench-${suffix}-${String(i).padStart(4, '0')}`);
  if (amqp) live.queues = ids; // set before starting: a half-started fleet has queues too
  const agents = await startFleet({ tgz: tgz(FROM), dir: path.join(work, `${kind}-${round}`), ids, token, amqp: amqp ? AMQP_URL : undefined });
  live.server = await servePackage({ file: tgz(TO) });
  live.transport = fleetTransport({ target: TO, token, package: { url: live.server.url, sha256 }, amqpUrl: AMQP_URL, amqpExchange: 'beacon.agents' });

  const records = agents.map((a) => ({ id: a.id, address: a.address, version: FROM, state: 'ok' }));
  const rollout = async (subset, batch) => {
    const policy = { canary: 1, batch, concurrency: batch, delayMs: 0, maxFailures: 0, maxConsecutive: Infinity, pause: false, timeoutMs: 60_000, retries: 0 };
    const t0 = performance.now();
    const r = await runRollout({ agents: subset, target: TO, policy, transport: live.transport });
    return { r, n: subset.length, msPerAgent: (performance.now() - t0) / subset.length };
  };
  const nRef = Math.max(1, Math.floor(fleetSize / 4));
  const seq = await rollout(records.slice(0, nRef), 1);

  let sampled = 0;
  const sampler = setInterval(() => {
    sampled = Math.max(sampled, process.memoryUsage.rss());
  }, 10);
  const ru0 = process.resourceUsage();
  const bat = await rollout(records.slice(nRef), BATCH);
  const ru1 = process.resourceUsage();
  clearInterval(sampler);
  // maxRSS only grows over the process's life (the HTTP runs included): when it rose during
  // this run it is this run's peak; otherwise the peak was below it and the samples hold it
  const peakMB = (ru1.maxRSS > ru0.maxRSS ? ru1.maxRSS * 1024 : Math.max(sampled, process.memoryUsage.rss())) / MiB;
  const cpuS = (ru1.userCPUTime + ru1.systemCPUTime - ru0.userCPUTime - ru0.systemCPUTime) / 1e6;

  const problems = [];
  for (const { r } of [seq, bat]) {
    if (r.stopped) problems.push(`the rollout stopped: ${r.stopped}`);
    for (const o of r.outcomes) if (o.status !== 'upgraded') problems.push(`${o.id}: ${o.status}${o.error ? `: ${o.error}` : ''}`);
  }
  (await healthVersions(agents)).forEach((v, i) => {
    if (v !== TO) problems.push(`${agents[i].id} reports ${v} on GET /health, expected ${TO}`);
  });
  say(
    `  ${kind} round ${round}: ${seq.n} agents one at a time ${Math.round(seq.msPerAgent)} ms/agent; ` +
      `${bat.n} agents batch ${BATCH} ${Math.round(bat.msPerAgent)} ms/agent; ${problems.length ? `${problems.length} problem(s)` : `all report ${TO}`}`,
  );
  return { nSeq: seq.n, nBat: bat.n, seq: seq.msPerAgent, bat: bat.msPerAgent, cpuS, peakMB, problems };
}

/** does a broker answer AMQP there (not just TCP)? */
async function brokerAnswers() {
  try {
    const { connect } = await import('amqplib');
    await (await connect(AMQP_URL, { timeout: 3000 })).close();
    return true;
  } catch (e) {
    console.log(`bench-agents: AMQP skipped: no broker answers at ${brokerName(AMQP_URL)} (${e.code ?? e.message})`);
    return false;
  }
}

const rows = [];
const verdicts = [];
let failed = false;
try {
  const kinds = ['HTTP', ...((await brokerAnswers()) ? ['AMQP'] : [])];
  say(`bench-agents: ${fleetSize} real agents per transport on loopback, ${FROM} -> ${TO}, ${rounds} round(s)`);
  for (const kind of kinds) {
    const runs = [];
    for (let round = 1; round <= rounds; round++) {
      try {
        runs.push(await measure(kind, round));
      } finally {
        await teardown();
      }
    }
    const problems = runs.flatMap((r) => r.problems);
    const seq = median(runs.map((r) => r.seq));
    const bat = median(runs.map((r) => r.bat));
    // a failed agent's time is not an upgrade's: no figures for a transport that could not measure
    rows.push(
      problems.length
        ? [kind, fleetSize, '-', '-', '-', '-', '-']
        : [kind, fleetSize, Math.round(seq), Math.round(bat), ratio(seq / bat), median(runs.map((r) => r.cpuS)).toFixed(2), Math.round(Math.max(...runs.map((r) => r.peakMB)))],
    );
    if (problems.length) {
      failed = true;
      verdicts.push(`${kind}: could not measure: ${problems.length} problem(s), e.g.\n    ${problems.slice(0, 5).join('\n    ')}`);
    } else {
      verdicts.push(
        `${kind}: batch ${BATCH} takes ${Math.round(bat)} ms per agent vs ${Math.round(seq)} ms one at a time ` +
          `(${runs[0].nBat} vs ${runs[0].nSeq} agents): ${ratio(seq / bat)} speedup (no target; figures only)`,
      );
    }
  }
} catch (e) {
  failed = true;
  verdicts.push(`bench-agents: could not measure: ${e.message}`);
} finally {
  await teardown().catch((e) => {
    failed = true;
    console.error(`bench-agents: cleanup: ${e.message}`);
  });
  await rm(work, { recursive: true, force: true });
}
if (rows.length) {
  say('\n' + table(['transport', 'agents', 'sequential ms/agent', 'batched ms/agent', 'speedup', 'bench CPU s', 'peak RSS MB'], rows) + '\n');
}
for (const v of verdicts) say(v);
// figures are informative; exit 1 only when the bench could not measure
if (failed) process.exitCode = 1;
