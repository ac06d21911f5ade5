#!/usr/bin/env node
/**
 * bench:install — the REST service's unavailability during a hop, measured from
 * outside (GET /health every 20 ms on a fresh connection; 200 only when the schema
 * matches the running version), next to the installer's own step times from its
 * --json events, in the same run. A sandbox manager (temp root, SQLite, process
 * driver, free ports): fresh install 3.4.2, seed items, then every hop to 4.2.0.
 *
 * Targets (per hop): downtime <= 1.1 x (stop + migrate + start) and < 2 s.
 * Needs `npm run build` (or UPHOP_DIST=<a built dist folder>). Everything lives in one temp folder, deleted at the end.
 *
 *   node scripts/bench-install.mjs [--scale 1] [--rounds 2]     (5000 x scale items)
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HOPS, mustFor, probedInstall, runHopRounds } from './lib/bench-hops.mjs';
import { longestOutage } from './lib/bench-manager.mjs';
import { median, ms, numArg, ratio, run, summary, table, target } from './lib/bench-report.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = process.env.UPHOP_DIST ? path.resolve(process.env.UPHOP_DIST) : path.join(ROOT, 'dist'); // another build of uphop to measure
const CLI = path.join(DIST, 'cli/main.js');
const WORK_STEPS = ['stage packages', 'install packages', 'migrate schema (pre)', 'migrate schema', 'migrate schema (post)', 'start services'];
const TARGET_RATIO = 1.1;
const TARGET_DOWN_MS = 2000;

const rows = Math.round(5000 * numArg('scale', 1));
const rounds = numArg('rounds', 2);
const must = mustFor('bench-install');

const results = [];
const startups = [];
await runHopRounds({
  name: 'bench-install',
  root: ROOT,
  cli: CLI,
  rounds,
  rows,
  itemName: (i) => `Item ${i} — ${i % 7 ? 'plain name' : 'Ünïcode Näme'} #${i}`,
  eachHop: async ({ round, sb, hop, to, bundleFile }) => results.push({ round, hop, ...(await measureHop(sb, bundleFile, to)) }),
});
report();

async function measureHop(sb, bundleFile, to) {
  // the CLI's bare start-up under the same load, to tell it apart from the installer's own work
  startups.push((await must(run(process.execPath, [CLI, '--version']), 'start the CLI')).ms);
  const { r, events, probes, spawnAt } = await probedInstall(CLI, sb, bundleFile, to);
  const steps = new Map();
  const at = new Map(); // step -> {begin, end} epoch ms from the installer's own event times
  for (const e of events) {
    if (e.type !== 'step') continue;
    const t = Date.parse(e.ts);
    const a = at.get(e.step) ?? {};
    if (e.status === 'begin') a.begin = t;
    if (e.status === 'end') {
      a.end = t;
      steps.set(e.step, e.ms);
    }
    at.set(e.step, a);
  }
  const step = (name) => steps.get(name) ?? 0;
  const out = longestOutage(probes);
  const firstOk = probes.find((p) => p.ok && p.version === to)?.t;
  const stopAt = at.get('stop services')?.begin ?? NaN;
  const stepTimes = events.filter((e) => e.type === 'step').map((e) => Date.parse(e.ts));
  return {
    before: Math.min(...stepTimes) - spawnAt,
    after: spawnAt + r.ms - Math.max(...stepTimes),
    down: out.ms,
    downProbes: out.count,
    steps,
    total: r.ms,
    sum: step('stop services') + step('migrate schema') + step('start services'),
    work: WORK_STEPS.reduce((n, s) => n + step(s), 0),
    rel: {
      firstFail: (out.from ?? NaN) - stopAt,
      stopEnd: (at.get('stop services')?.end ?? NaN) - stopAt,
      migrateEnd: (at.get('migrate schema')?.end ?? NaN) - stopAt,
      startEnd: (at.get('start services')?.end ?? NaN) - stopAt,
      firstOk: (firstOk ?? NaN) - stopAt,
      healthEnd: (at.get('health checks')?.end ?? NaN) - stopAt,
    },
  };
}

function report() {
  console.log(`\nbench-install: ${rows} items, SQLite, process driver, ${rounds} round(s); /health probed every 20 ms from this process\n`);
  console.log(
    table(
      ['round', 'hop', 'down', 'probes', 'stop', 'pkgs', 'configs', 'migrate', 'start', 'stop+mig+start', 'down/sum', 'total', 'overhead'],
      results.map((x) => [
        x.round,
        x.hop,
        ms(x.down),
        x.downProbes,
        ms(x.steps.get('stop services') ?? 0),
        ms(x.steps.get('install packages') ?? 0),
        ms(x.steps.get('write configs') ?? 0),
        ms(x.steps.get('migrate schema') ?? 0),
        ms(x.steps.get('start services') ?? 0),
        ms(x.sum),
        ratio(x.down / x.sum),
        ms(x.total),
        ms(x.total - x.work),
      ]),
    ),
  );
  console.log('\noverhead = total wall time - (stage + install packages + migrations (pre, main, post) + start services)');
  console.log(
    `  of which: before the first step (CLI start, bundle extract + verify) median ${ms(median(results.map((x) => x.before)))}` +
      ` (\`uphop --version\` alone: median ${ms(median(startups))}); after the last step ${ms(median(results.map((x) => x.after)))}`,
  );
  console.log('\nwhere the window goes (ms after "stop services" began; medians over rounds):');
  console.log(
    table(
      ['hop', 'first failed probe', 'stop end', 'migrate end', 'start end', 'first 200 (new)', 'health checks end'],
      HOPS.map(([hop]) => {
        const of = results.filter((x) => x.hop === hop);
        const m = (k) => ms(median(of.map((x) => x.rel[k])));
        return [hop, m('firstFail'), m('stopEnd'), m('migrateEnd'), m('startEnd'), m('firstOk'), m('healthEnd')];
      }),
    ),
  );
  const shown = [...WORK_STEPS, 'stop services', 'write configs'];
  const others = [...new Set(results.flatMap((x) => [...x.steps.keys()]))].filter((s) => !shown.includes(s));
  console.log('\nthe other steps (median ms over every hop and round): ' + others.map((s) => `${s} ${Math.round(median(results.map((x) => x.steps.get(s) ?? 0)))}`).join(', '));
  console.log('');
  for (const [hop] of HOPS) {
    const of = results.filter((x) => x.hop === hop);
    const down = median(of.map((x) => x.down));
    const sum = median(of.map((x) => x.sum));
    target(`${hop} downtime <= ${TARGET_RATIO}x (stop + migrate + start)`, down <= TARGET_RATIO * sum, `median ${ms(down)} vs ${ms(sum)} = ${ratio(down / sum)}`);
    target(`${hop} downtime < ${TARGET_DOWN_MS} ms`, down < TARGET_DOWN_MS, `median ${ms(down)} (worst ${ms(Math.max(...of.map((x) => x.down)))})`);
  }
  summary('bench-install');
}
