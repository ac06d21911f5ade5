#!/usr/bin/env node
/**
 * bench:build — `uphop build` (the built CLI, a child process) against GNU
 * `tar -czf` over the same files, in the same run: ~1 GiB of log-like text and
 * ~1 GiB of already-compressed packages; then the build's peak RSS at ~200 MiB and
 * ~2 GiB of input (mixed). Times are best of --rounds, tar and build interleaved.
 *
 * Targets: build <= 1.1x tar on text, <= 0.5x tar on packages; peak RSS < 150 MB
 * and flat (2 GiB run <= 1.2x the 200 MiB run). When the default level misses the
 * text target (or with --sweep) levels 1-6 are measured too, with their sizes.
 * Needs `npm run build` (or UPHOP_DIST=<a built dist folder>). Everything lives in one temp folder, deleted at the end.
 *
 *   node scripts/bench-build.mjs [--scale 1] [--rounds 2] [--sweep]
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeGzFile, writeLogFile } from './lib/bench-data.mjs';
import { writeProject } from './lib/bench-project.mjs';
import { cleanupOnInterrupt, flag, MiB, numArg, ratio, run, secs, summary, table, target } from './lib/bench-report.mjs';

/** uphop build's default --level (src/cli/commands/build.ts) */
const DEFAULT_LEVEL = 5;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = process.env.UPHOP_DIST ? path.resolve(process.env.UPHOP_DIST) : path.join(ROOT, 'dist'); // another build of uphop to measure
const CLI = path.join(DIST, 'cli/main.js');
const INSTALLER = path.join(DIST, 'installer');
const RSS_HOOK = path.join(ROOT, 'scripts/lib/bench-rss-hook.mjs');
const FILES = 10;
const TARGETS = { text: 1.1, packages: 0.5, rssMB: 150, rssFlat: 1.2 };

const scale = numArg('scale', 1);
const rounds = numArg('rounds', 2);
const fileSize = Math.round((1024 * MiB * scale) / FILES);

if (!existsSync(CLI) || !existsSync(INSTALLER)) {
  console.error('bench-build: dist/ is missing; run `npm run build` first.');
  process.exit(1);
}

const work = await mkdtemp(path.join(os.tmpdir(), 'uphop-bench-build-'));
cleanupOnInterrupt(() => rm(work, { recursive: true, force: true }));
const project = path.join(work, 'project');
const out = path.join(work, 'out');
const names = (prefix, ext) => Array.from({ length: FILES }, (_, i) => `${prefix}-${String(i + 1).padStart(2, '0')}.${ext}`);
const logs = names('service-log', 'jsonl');
const pkgs = names('package', 'tgz');
const HOPS = {
  text: { name: 'text', to: '1.0.1', files: logs },
  packages: { name: 'packages', to: '1.0.2', files: pkgs },
  small: { name: 'small', to: '1.0.3', files: [logs[0], pkgs[0]] },
  big: { name: 'big', to: '1.0.4', files: [...logs, ...pkgs] },
};

try {
  const t0 = performance.now();
  await mkdir(path.join(project, 'artifacts'), { recursive: true });
  const art = (f) => path.join(project, 'artifacts', f);
  await Promise.all([
    (async () => {
      for (const [i, f] of logs.entries()) await writeLogFile(art(f), fileSize, i + 1);
    })(),
    (async () => {
      for (const f of pkgs) await writeGzFile(art(f), fileSize);
    })(),
  ]);
  await writeProject(project, Object.values(HOPS));
  console.log(`bench-build: generated ${FILES} x ${(fileSize / MiB).toFixed(1)} MiB of logs and of packages in ${secs(performance.now() - t0)}; ${rounds} round(s)\n`);

  const times = { text: { tar: [], build: [] }, packages: { tar: [], build: [] } };
  const cpu = { text: { tar: [], build: [] }, packages: { tar: [], build: [] } };
  const sizes = {};
  for (let r = 0; r < rounds; r++) {
    for (const kind of ['text', 'packages']) {
      const t = await tarRun(HOPS[kind]);
      const b = await buildRun(HOPS[kind], DEFAULT_LEVEL);
      times[kind].tar.push(t.ms);
      times[kind].build.push(b.ms);
      cpu[kind].tar.push(t.cpuMs);
      cpu[kind].build.push(b.cpuMs);
      sizes[kind] = { tar: t.size, build: b.size };
    }
  }
  const best = (xs) => Math.min(...xs);
  const bestRatio = (kind) => best(times[kind].build) / best(times[kind].tar);
  const inputMiB = (hop) => `${((hop.files.length * fileSize) / MiB).toFixed(0)} MiB`;
  console.log(
    table(
      ['input', 'size', 'tar -czf', `uphop build -${DEFAULT_LEVEL}`, 'build/tar', 'per round', 'target', 'tar out', 'bundle out'],
      ['text', 'packages'].map((kind) => [
        kind === 'text' ? 'log-like text' : 'compressed packages',
        inputMiB(HOPS[kind]),
        secs(best(times[kind].tar)),
        secs(best(times[kind].build)),
        ratio(bestRatio(kind)),
        times[kind].build.map((b, i) => ratio(b / times[kind].tar[i])).join(' '),
        `<= ${TARGETS[kind]}x`,
        `${(sizes[kind].tar / MiB).toFixed(1)} MiB`,
        `${(sizes[kind].build / MiB).toFixed(1)} MiB`,
      ]),
    ),
  );
  console.log('(times: best of the rounds; the bundle also holds the installer, and tar is given it too)');
  console.log(
    'CPU seconds (user+sys, best of the rounds; tar includes its gzip): ' +
      ['text', 'packages'].map((kind) => `${kind}: tar ${secs(best(cpu[kind].tar))}, build ${secs(best(cpu[kind].build))} (${ratio(best(cpu[kind].build) / best(cpu[kind].tar))})`).join('; ') +
      '\n',
  );

  const sweep = flag('sweep') || bestRatio('text') > TARGETS.text;
  const levels = [];
  if (sweep) {
    for (let level = 1; level <= 6; level++) {
      const runs = [];
      for (let r = 0; r < rounds; r++) {
        runs.push(level === DEFAULT_LEVEL && r === 0 ? { ms: best(times.text.build), cpuMs: best(cpu.text.build), size: sizes.text.build } : await buildRun(HOPS.text, level));
      }
      levels.push({ level, ms: best(runs.map((x) => x.ms)), cpuMs: best(runs.map((x) => x.cpuMs)), size: runs[0].size });
    }
    // CPU time is the steadier yardstick on a shared machine: wall time there depends on what else runs
    console.log(`text input, --level 1-6 (tar -czf: ${secs(best(times.text.tar))} wall, ${secs(best(cpu.text.tar))} CPU, ${(sizes.text.tar / MiB).toFixed(1)} MiB):`);
    console.log(
      table(
        ['level', 'build', 'build/tar', 'CPU', 'CPU/tar CPU', 'bundle', 'bundle/tar size', 'meets 1.1x'],
        levels.map((l) => [
          l.level,
          secs(l.ms),
          ratio(l.ms / best(times.text.tar)),
          secs(l.cpuMs),
          ratio(l.cpuMs / best(cpu.text.tar)),
          `${(l.size / MiB).toFixed(1)} MiB`,
          ratio(l.size / sizes.text.tar),
          l.ms / best(times.text.tar) <= TARGETS.text ? 'yes' : 'no',
        ]),
      ),
    );
    console.log('');
  }

  const baseline = await buildRun(null);
  const small = await buildRun(HOPS.small, DEFAULT_LEVEL);
  const big = await buildRun(HOPS.big, DEFAULT_LEVEL);
  console.log(
    table(
      ['peak RSS of', 'input', 'peak RSS', 'vs 200 MiB run'],
      [
        ['uphop --version (module loading only)', '-', `${baseline.rssMB.toFixed(0)} MB`, '-'],
        ['uphop build (logs + packages)', inputMiB(HOPS.small), `${small.rssMB.toFixed(0)} MB`, ratio(1)],
        ['uphop build (logs + packages)', inputMiB(HOPS.big), `${big.rssMB.toFixed(0)} MB`, ratio(big.rssMB / small.rssMB)],
      ],
    ),
  );
  console.log('');

  target(`build on log-like text <= ${TARGETS.text}x tar -czf (level ${DEFAULT_LEVEL})`, bestRatio('text') <= TARGETS.text, `${ratio(bestRatio('text'))}`);
  if (sweep) {
    const ok = levels.filter((l) => l.ms / best(times.text.tar) <= TARGETS.text).map((l) => l.level);
    console.log(`      levels meeting the text target: ${ok.length ? ok.join(', ') : 'none'}`);
  }
  target(`build on compressed packages <= ${TARGETS.packages}x tar -czf`, bestRatio('packages') <= TARGETS.packages, `${ratio(bestRatio('packages'))}`);
  target(
    `peak RSS < ${TARGETS.rssMB} MB`,
    Math.max(small.rssMB, big.rssMB) < TARGETS.rssMB,
    `${small.rssMB.toFixed(0)} MB at ${inputMiB(HOPS.small)}, ${big.rssMB.toFixed(0)} MB at ${inputMiB(HOPS.big)}`,
  );
  target(`peak RSS flat (2 GiB run <= ${TARGETS.rssFlat}x the 200 MiB run)`, big.rssMB <= TARGETS.rssFlat * small.rssMB, ratio(big.rssMB / small.rssMB));
  summary('bench-build');
} finally {
  await rm(work, { recursive: true, force: true });
}

/**
 * GNU tar over the hop's packages and the installer (the bundle's big files), under
 * sh so `times` can report the CPU of tar and its gzip child
 */
async function tarRun(hop) {
  const file = path.join(work, 'reference.tar.gz');
  const r = await run('sh', ['-c', 'tar -czf "$@" && times', 'sh', file, '-C', project, ...hop.files.map((f) => `artifacts/${f}`), '-C', path.dirname(INSTALLER), 'installer']);
  if (r.code !== 0) throw new Error(`tar -czf failed (exit ${r.code}): ${r.stderr}`);
  const { size } = await stat(file);
  await rm(file);
  return { ms: r.ms, size, cpuMs: childCpuMs(r.stdout) };
}

/** the second line of `times` ("0m1.250s 0m0.100s"): the children's user and system time */
function childCpuMs(timesOutput) {
  const nums = (timesOutput.trim().split('\n')[1] ?? '').match(/(\d+)m([\d.]+)s/g) ?? [];
  if (nums.length < 2) return NaN;
  return nums.reduce((n, t) => {
    const [, m, s] = t.match(/(\d+)m([\d.]+)s/);
    return n + (Number(m) * 60 + Number(s)) * 1000;
  }, 0);
}

/** `uphop build` of one hop in its own process; peak RSS from the exit hook. hop null: `uphop --version` */
async function buildRun(hop, level) {
  const rssFile = path.join(work, 'rss');
  await rm(out, { recursive: true, force: true });
  const args = hop ? ['build', `bundles/${hop.name}`, '--out', out, '--level', String(level)] : ['--version'];
  const r = await run(process.execPath, ['--import', RSS_HOOK, CLI, ...args], {
    cwd: project,
    env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000', UPHOP_BENCH_RSS_FILE: rssFile },
  });
  if (r.code !== 0) throw new Error(`uphop ${args.join(' ')} failed (exit ${r.code}): ${r.stderr.slice(-1500)}`);
  const usage = JSON.parse(await readFile(rssFile, 'utf8'));
  const rssMB = (usage.maxRssKiB * 1024) / 1e6;
  let size = 0;
  if (hop) for (const f of await readdir(out)) size += (await stat(path.join(out, f))).size;
  await rm(out, { recursive: true, force: true });
  return { ms: r.ms, size, rssMB, cpuMs: usage.cpuMs };
}
