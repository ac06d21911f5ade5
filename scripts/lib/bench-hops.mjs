/**
 * The loop bench-install and bench-rehearse share: every Beacon bundle built once
 * into a temp folder, then per round a fresh sandbox manager on 3.4.2 seeded with
 * items and every hop to 4.2.0 in order, measured by the caller; and one real
 * install of a hop with /health probed from outside. The temp folder and every
 * sandbox's detached services go at the end, also on an interrupt.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { createSandbox, probeHealth, startProber } from './bench-manager.mjs';
import { cleanupOnInterrupt, run } from './bench-report.mjs';

export const HOPS = [
  ['3.4.2-to-4.0.1', '4.0.1'],
  ['4.0.1-to-4.1.1', '4.1.1'],
  ['4.1.1-to-4.2.0', '4.2.0'],
];

/** `must(run(...), what)` for the script `name`: an exit other than 0 prints stderr's tail and throws */
export const mustFor = (name) =>
  async function must(promise, what) {
    const r = await promise;
    if (r.code !== 0) {
      console.error(`${name}: could not ${what} (exit ${r.code}):\n${r.stderr.slice(-2000)}`);
      throw new Error(`could not ${what}`);
    }
    return r;
  };

/**
 * Runs `rounds` rounds of every hop; `eachHop({ round, sb, hop, to, bundleFile })`
 * measures one. `itemName(i)` names the i-th of the `rows` seeded items.
 */
export async function runHopRounds({ name, root, cli, rounds, rows, itemName, eachHop }) {
  if (!existsSync(cli)) {
    console.error(`${name}: dist/ is missing; run \`npm run build\` first.`);
    process.exit(1);
  }
  const must = mustFor(name);
  const work = await mkdtemp(path.join(os.tmpdir(), `uphop-${name}-`));
  const sandboxes = [];
  // the services run detached: an interrupted run must still stop them
  const cleanup = async () => {
    for (const sb of sandboxes.splice(0)) await sb.cleanup().catch(() => {});
    await rm(work, { recursive: true, force: true });
  };
  cleanupOnInterrupt(cleanup);
  try {
    await must(run(process.execPath, [path.join(root, 'scripts/pack-components.mjs')], { cwd: root }), 'pack the components');
    await must(run(process.execPath, [cli, 'build', '--all', '--out', path.join(work, 'bundles')], { cwd: root }), 'build the bundles');
    const bundle = (hop) => path.join(work, 'bundles', `beacon-${hop}.tar.gz`);
    for (let round = 1; round <= rounds; round++) {
      const sb = await createSandbox(work);
      sandboxes.push(sb);
      await must(run(process.execPath, [cli, 'install', bundle('none-to-3.4.2'), '--root', sb.root, '--values', sb.valuesFile, '--allow-unsigned']), 'fresh install 3.4.2');
      seed(sb.dbFile, rows, itemName);
      for (const [hop, to] of HOPS) await eachHop({ round, sb, hop, to, bundleFile: bundle(hop) });
      await sb.cleanup();
      sandboxes.pop();
    }
  } finally {
    await cleanup();
  }
}

function seed(dbFile, n, itemName) {
  const db = new Database(dbFile);
  db.pragma('busy_timeout = 5000');
  const insert = db.prepare('insert into items (name) values (?)');
  db.transaction(() => {
    for (let i = 0; i < n; i++) insert.run(itemName(i));
  })();
  db.close();
}

/**
 * The real install of one hop (`--json`, plus `extraArgs`) with /health probed every
 * 20 ms from here, until the new version answers: { r, events, probes, spawnAt }.
 */
export async function probedInstall(cli, sb, bundleFile, to, extraArgs = []) {
  const pre = await probeHealth(sb.restPort);
  if (pre.status !== 200) throw new Error(`the REST service is not healthy before the hop to ${to} (status ${pre.status})`);
  const prober = startProber(sb.restPort, 20);
  await sleep(200); // a baseline of good probes
  const events = [];
  const spawnAt = Date.now();
  const r = await run(process.execPath, [cli, 'install', bundleFile, '--root', sb.root, '--allow-unsigned', '--json', ...extraArgs], {
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
  return { r, events, probes, spawnAt };
}
