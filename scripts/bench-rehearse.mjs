#!/usr/bin/env node
/**
 * bench:rehearse — does `uphop rehearse` predict the downtime of the real hop?
 * For each Beacon hop, on the same data (a sandbox manager on SQLite seeded with
 * --rows items): first `uphop rehearse` on it (its copy's /health probed every
 * 20 ms by uphop itself, and its stop-to-healthy window), then the real install of
 * the same hop with /health probed every 20 ms from here, like bench:install.
 *
 * Targets (per hop, median over rounds): the predicted outage within 20% of the measured
 * one, and the predicted stop-to-healthy window within 20% of the real install's.
 *
 * Single rounds of the same real hop vary by a third on a 2-core machine (process start
 * times), so the targets compare medians and the default is 5 rounds; the spread of
 * the real hop's own outage is printed beside each target.
 *
 *   node scripts/bench-rehearse.mjs [--rows 100000] [--rounds 5]
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { createSandbox, longestOutage, probeHealth, startProber } from './lib/bench-manager.mjs';
import { cleanupOnInterrupt, median, ms, numArg, ratio, run, summary, table, target } from './lib/bench-report.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'dist/cli/main.js');
const HOPS = [
  ['3.4.2-to-4.0.1', '4.0.1'],
  ['4.0.1-to-4.1.1', '4.1.1'],
  ['4.1.1-to-4.2.0', '4.2.0'],
];
const TARGET = 0.2;
const rows = numArg('rows', 100_000);
const rounds = numArg('rounds', 5);

if (!existsSync(CLI)) {
  console.error('bench-rehearse: dist/ is missing; run `npm run build` first.');
  process.exit(1);
}

const work = await mkdtemp(path.join(os.tmpdir(), 'uphop-bench-rehearse-'));
const sandboxes = [];
const results = [];
const cleanup = async () => {
  for (const sb of sandboxes.splice(0)) await sb.cleanup().catch(() => {});
  await rm(work, { recursive: true, force: true });
};
cleanupOnInterrupt(cleanup);
try {
  await must(run(process.execPath, [path.join(ROOT, 'scripts/pack-components.mjs')], { cwd: ROOT }), 'pack the components');
  await must(run(process.execPath, [CLI, 'build', '--all', '--out', path.join(work, 'bundles')], { cwd: ROOT }), 'build the bundles');
  const bundle = (hop) => path.join(work, 'bundles', `beacon-${hop}.tar.gz`);
  for (let round = 1; round <= rounds; round++) {
    const sb = await createSandbox(work);
    sandboxes.push(sb);
    await must(run(process.execPath, [CLI, 'install', bundle('none-to-3.4.2'), '--root', sb.root, '--values', sb.valuesFile, '--allow-unsigned']), 'fresh install 3.4.2');
    seed(sb.dbFile, rows);
    for (const [hop, to] of HOPS) {
      const rehearsal = JSON.parse((await must(run(process.execPath, [CLI, 'rehearse', bundle(hop), '--root', sb.root, '--allow-unsigned', '--json']), `rehearse ${hop}`)).stdout);
      const real = await measureHop(sb, bundle(hop), to);
      results.push({ round, hop, predicted: rehearsal.outage?.ms ?? NaN, window: rehearsal.downtimeMs, copy: rehearsal.copy.ms, rehearsal: rehearsal.ms, ...real });
    }
    await sb.cleanup();
    sandboxes.pop();
  }
} finally {
  await cleanup();
}
report();

async function must(promise, what) {
  const r = await promise;
  if (r.code !== 0) {
    console.error(`bench-rehearse: could not ${what} (exit ${r.code}):\n${r.stderr.slice(-2000)}`);
    throw new Error(`could not ${what}`);
  }
  return r;
}

function seed(dbFile, n) {
  const db = new Database(dbFile);
  db.pragma('busy_timeout = 5000');
  const insert = db.prepare('insert into items (name) values (?)');
  db.transaction(() => {
    for (let i = 0; i < n; i++) insert.run(`Item ${i} #${i % 97}`);
  })();
  db.close();
}

async function measureHop(sb, bundleFile, to) {
  if ((await probeHealth(sb.restPort)).status !== 200) throw new Error(`the REST service is not healthy before the hop to ${to}`);
  const prober = startProber(sb.restPort, 20);
  await sleep(200);
  const events = [];
  const r = await run(process.execPath, [CLI, 'install', bundleFile, '--root', sb.root, '--allow-unsigned', '--json', '--no-agents'], {
    onStderrLine: (l) => {
      try {
        events.push(JSON.parse(l));
      } catch {
        /* not an event */
      }
    },
  });
  const probes = await prober.stopWhenServing(to);
  if (r.code !== 0) throw new Error(`the hop to ${to} failed (exit ${r.code}): ${r.stderr.slice(-1500)}`);
  const at = (step, status) => Date.parse(events.find((e) => e.type === 'step' && e.step === step && e.status === status)?.ts ?? 'x');
  return { measured: longestOutage(probes).ms, realWindow: at('health checks', 'end') - at('stop services', 'begin'), install: r.ms };
}

function report() {
  console.log(`\nbench-rehearse: ${rows} items, SQLite, process driver, ${rounds} round(s); /health probed every 20 ms (by the rehearsal on its copy, by this script on the real hop)\n`);
  console.log(
    table(
      ['round', 'hop', 'predicted outage', 'measured outage', 'predicted/measured', 'predicted window', 'real window', 'copy', 'rehearsal', 'install'],
      results.map((x) => [x.round, x.hop, ms(x.predicted), ms(x.measured), ratio(x.predicted / x.measured), ms(x.window), ms(x.realWindow), ms(x.copy), ms(x.rehearsal), ms(x.install)]),
    ),
  );
  console.log('\noutage = the longest run of probes without a 200 (what clients see); window = "stop services" begun to "health checks" ended (the installer\'s own view)\n');
  for (const [hop] of HOPS) {
    const of = results.filter((x) => x.hop === hop);
    const p = median(of.map((x) => x.predicted));
    const m = median(of.map((x) => x.measured));
    const spread = `the real hop alone: ${ms(Math.min(...of.map((x) => x.measured)))} to ${ms(Math.max(...of.map((x) => x.measured)))}`;
    target(`${hop} predicted outage within ${TARGET * 100}% of the measured one`, Math.abs(p / m - 1) <= TARGET, `median ${ms(p)} vs ${ms(m)} = ${ratio(p / m)} (${spread})`);
    const pw = median(of.map((x) => x.window));
    const rw = median(of.map((x) => x.realWindow));
    target(`${hop} predicted stop-to-healthy window within ${TARGET * 100}% of the real one`, Math.abs(pw / rw - 1) <= TARGET, `median ${ms(pw)} vs ${ms(rw)} = ${ratio(pw / rw)}`);
  }
  summary('bench-rehearse');
}
