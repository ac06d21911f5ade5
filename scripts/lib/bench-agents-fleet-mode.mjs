/**
 * bench:agents --fleet: simulated fleets of 1,000 and 10,000 agents (agent-sim.mjs)
 * on HTTP and AMQP, each measurement in a manager process of its own
 * (bench-fleet-run.mjs), at concurrency 100. Prints wall time, manager CPU per
 * agent, peak RSS and bytes written, then the targets of issue 11 as PASS/MISS
 * lines (informative: the exit code is 1 only when a run could not measure).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cleanupOnInterrupt, run, summary, table, target } from './bench-report.mjs';

export async function fleetMode({ root, dist, from, to, pkg, amqpUrl, brokerAnswers, sizes, concurrency }) {
  const work = await mkdtemp(path.join(os.tmpdir(), 'uphop-bench-fleet-'));
  cleanupOnInterrupt(() => rm(work, { recursive: true, force: true }));
  const kinds = ['http', ...((await brokerAnswers()) ? ['amqp'] : [])];
  const load = os.loadavg()[0].toFixed(1);
  console.log(
    `bench-agents --fleet: ${sizes.join(' and ')} simulated agents per transport (4 simulator processes), ${from} -> ${to}, concurrency ${concurrency}, batch 100; load average ${load} on ${os.cpus().length} cores`,
  );
  const runs = [];
  let failed = false;
  for (const kind of kinds) {
    for (const n of sizes) {
      const dir = path.join(work, `${kind}-${n}`);
      const args = [
        path.join(root, 'scripts/lib/bench-fleet-run.mjs'),
        '--transport',
        kind,
        '--agents',
        String(n),
        '--concurrency',
        String(concurrency),
        '--dist',
        dist,
        '--work',
        dir,
        '--from',
        from,
        '--to',
        to,
        '--package',
        pkg,
        '--amqp',
        amqpUrl,
      ];
      const r = await run(process.execPath, args, { cwd: root });
      let m;
      try {
        m = JSON.parse(r.stdout.trim().split('\n').pop());
      } catch {
        m = { transport: kind, agents: n, problems: [`exit ${r.code}: ${r.stderr.trim().slice(-500)}`], nProblems: 1 };
      }
      await rm(dir, { recursive: true, force: true });
      runs.push(m);
      const line = m.nProblems
        ? `could not measure: ${m.nProblems} problem(s), e.g. ${m.problems.slice(0, 3).join('; ')}`
        : `${m.wallS.toFixed(1)} s, ${((m.cpuS * 1000) / n).toFixed(2)} ms CPU/agent, peak RSS ${Math.round(m.peakMB)} MB, ${m.writtenMB.toFixed(1)} MB written`;
      console.log(`  ${kind.toUpperCase()} ${n}: ${line}`);
      if (m.nProblems) failed = true;
    }
  }
  await rm(work, { recursive: true, force: true });
  const ok = runs.filter((m) => !m.nProblems);
  console.log(
    '\n' +
      table(
        ['transport', 'agents', 'wall s', 'ms wall/agent', 'manager CPU ms/agent', 'peak RSS MB', 'written MB'],
        ok.map((m) => [
          m.transport.toUpperCase(),
          m.agents,
          m.wallS.toFixed(1),
          ((m.wallS * 1000) / m.agents).toFixed(2),
          ((m.cpuS * 1000) / m.agents).toFixed(2),
          Math.round(m.peakMB),
          m.writtenMB.toFixed(1),
        ]),
      ) +
      '\n',
  );
  const get = (kind, n) => ok.find((m) => m.transport === kind && m.agents === n);
  const small = Math.min(...sizes);
  const big = Math.max(...sizes);
  const h1 = get('http', small);
  if (h1 && small === 1000) target('1,000 agents over HTTP in <= 10 s', h1.wallS <= 10, `${h1.wallS.toFixed(1)} s`);
  for (const m of ok) target(`${m.transport.toUpperCase()} ${m.agents}: manager CPU <= 2 ms per agent`, (m.cpuS * 1000) / m.agents <= 2, `${((m.cpuS * 1000) / m.agents).toFixed(2)} ms`);
  for (const kind of kinds) {
    const [s, b] = [get(kind, small), get(kind, big)];
    if (!s || !b || s === b) continue;
    const cpu = b.cpuS / b.agents / (s.cpuS / s.agents);
    const wall = b.wallS / b.agents / (s.wallS / s.agents);
    target(`${kind.toUpperCase()} ${big} within 1.2x of ${small} per agent`, cpu <= 1.2 && wall <= 1.2, `CPU ${cpu.toFixed(2)}x, wall ${wall.toFixed(2)}x`);
    target(`${kind.toUpperCase()} ${big}: peak RSS < 150 MB`, b.peakMB < 150, `${Math.round(b.peakMB)} MB`);
    target(`${kind.toUpperCase()} ${big}: written < 20 MB`, b.writtenMB < 20, `${b.writtenMB.toFixed(1)} MB`);
  }
  summary('bench-agents --fleet');
  return !failed;
}
