#!/usr/bin/env node
/**
 * npm run test:crash [-- --n 200] [--seed S] [--dbs sqlite,pg,mysql]
 * The randomized SIGKILL sweep (test/crash/sweep.e2e.test.ts) with N kills in
 * all, spread evenly over the databases, then its summary: kills, healthy on new,
 * healthy on old, broken. UPHOP_CRASH_SEED=S reproduces a run (the seed is printed
 * at the start and in every failure). Without --n: the CI size, 4 per database (one of each kind).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { n: { type: 'string' }, seed: { type: 'string' }, dbs: { type: 'string' } } });
const dbs = (values.dbs ?? process.env.UPHOP_CRASH_DBS ?? 'sqlite,pg,mysql').split(',').filter(Boolean);
const perDb = values.n ? Math.ceil(Number(values.n) / dbs.length) : 4;
if (!Number.isInteger(perDb) || perDb < 1) {
  console.error(`test-crash: --n must be a positive number of kills, not "${values.n}"`);
  process.exit(2);
}
const seed = values.seed ?? process.env.UPHOP_CRASH_SEED ?? String(Math.floor(Math.random() * 2 ** 31));
const dir = mkdtempSync(path.join(tmpdir(), 'uphop-crash-'));
const summary = path.join(dir, 'summary.jsonl');
console.log(`crash sweep: ${perDb * dbs.length} kills (${perDb} per database: ${dbs.join(', ')}), seed ${seed}`);
const started = Date.now();
const child = spawn('npx', ['vitest', 'run', 'test/crash/sweep.e2e.test.ts'], {
  stdio: 'inherit',
  env: { ...process.env, UPHOP_CRASH_N: String(perDb), UPHOP_CRASH_SEED: seed, UPHOP_CRASH_DBS: dbs.join(','), UPHOP_CRASH_SUMMARY: summary, UPHOP_CRASH_PROGRESS: '1' },
});
child.on('exit', (code) => {
  let s;
  try {
    s = readFileSync(summary, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .at(-1);
  } catch {
    console.error('test-crash: the sweep wrote no summary (see the output above)');
    process.exit(code || 1);
  }
  rmSync(dir, { recursive: true, force: true });
  const min = ((Date.now() - started) / 60000).toFixed(1);
  console.log(
    `\ncrash sweep, seed ${s.seed}: kills ${s.kills}, healthy on new ${s.healthyNew}, healthy on old ${s.healthyOld}, broken ${s.broken}; left for the next run after a status-only recovery ${s.leftForNextRun ?? 0} (${Object.entries(
      s.byKind,
    )
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}; ${min} min)`,
  );
  if (s.failures.length) console.log(`\nbroken cases:\n${s.failures.join('\n')}\nreproduce: UPHOP_CRASH_SEED=${s.seed} npm run test:crash -- --n ${values.n ?? perDb * dbs.length}`);
  process.exit(code ?? 1);
});
