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
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HOPS, mustFor, probedInstall, runHopRounds } from './lib/bench-hops.mjs';
import { longestOutage } from './lib/bench-manager.mjs';
import { median, ms, numArg, ratio, run, summary, table, target } from './lib/bench-report.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'dist/cli/main.js');
const TARGET = 0.2;
const rows = numArg('rows', 100_000);
const rounds = numArg('rounds', 5);
const must = mustFor('bench-rehearse');

const results = [];
await runHopRounds({
  name: 'bench-rehearse',
  root: ROOT,
  cli: CLI,
  rounds,
  rows,
  itemName: (i) => `Item ${i} #${i % 97}`,
  eachHop: async ({ round, sb, hop, to, bundleFile }) => {
    const rehearsal = JSON.parse((await must(run(process.execPath, [CLI, 'rehearse', bundleFile, '--root', sb.root, '--allow-unsigned', '--json']), `rehearse ${hop}`)).stdout);
    const real = await measureHop(sb, bundleFile, to);
    results.push({ round, hop, predicted: rehearsal.outage?.ms ?? NaN, window: rehearsal.downtimeMs, copy: rehearsal.copy.ms, rehearsal: rehearsal.ms, ...real });
  },
});
report();

async function measureHop(sb, bundleFile, to) {
  const { r, events, probes } = await probedInstall(CLI, sb, bundleFile, to, ['--no-agents']);
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
