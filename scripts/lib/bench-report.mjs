/**
 * Shared bits of the bench scripts: argument reading, a plain text table, and the
 * PASS/MISS target lines (a MISS is printed, never an exit code: benchmarks inform,
 * tests decide).
 */
import { spawn } from 'node:child_process';

export const MiB = 1024 * 1024;

/** `--name value` from argv as a number, or the default */
export function numArg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) {
    console.error(`--${name} needs a positive number, got ${process.argv[i + 1]}`);
    process.exit(2);
  }
  return v;
}

export const flag = (name) => process.argv.includes(`--${name}`);

/** rows of strings/numbers as an aligned text table (numbers right-aligned) */
export function table(headers, rows) {
  const cells = [headers, ...rows].map((r) => r.map((c) => String(c)));
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const right = headers.map((_, i) => rows.every((r) => typeof r[i] === 'number' || /^[\d.,]+\s*(ms|s|MB|MiB|x|%)?$/.test(String(r[i]))));
  const line = (r) =>
    r
      .map((c, i) => (right[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

const results = [];

/** records and prints one target line */
export function target(label, ok, detail) {
  results.push(ok);
  console.log(`${ok ? 'PASS' : 'MISS'}  ${label}: ${detail}`);
}

export function summary(name) {
  const missed = results.filter((ok) => !ok).length;
  console.log(missed ? `\n${name}: ${missed} of ${results.length} targets MISSED (see MISS lines above).` : `\n${name}: all ${results.length} targets met.`);
}

export const ms = (x) => `${Math.round(x)} ms`;
export const secs = (x) => `${(x / 1000).toFixed(2)} s`;
export const ratio = (x) => `${x.toFixed(2)}x`;
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const liveChildren = new Set();

/** runs a command to completion; resolves {code, stdout, stderr, ms}; `onStderrLine` sees each line as it arrives */
export function run(cmd, args, { env, cwd, onStderrLine } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { env: env ?? process.env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    liveChildren.add(child);
    let stdout = '';
    let stderr = '';
    let partial = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
      if (!onStderrLine) return;
      const lines = (partial + d).split('\n');
      partial = lines.pop();
      for (const l of lines) onStderrLine(l);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      liveChildren.delete(child);
      if (partial && onStderrLine) onStderrLine(partial);
      resolve({ code, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

/**
 * runs `cleanup` (temp folders, sandbox services) also when the run is interrupted
 * (Ctrl-C, kill) or its output pipe closes early (`| head`), then exits 130
 */
export function cleanupOnInterrupt(cleanup) {
  let bailed = false;
  const bail = () => {
    if (bailed) return; // a second signal while cleaning up: the first cleanup goes on
    bailed = true;
    // a child still running (an installer about to start services) must not outlive the cleanup
    for (const c of liveChildren) c.kill('SIGKILL');
    Promise.resolve()
      .then(cleanup)
      .catch(() => {})
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', bail);
  process.once('SIGTERM', bail);
  for (const s of [process.stdout, process.stderr])
    s.on('error', (e) => {
      if (e.code === 'EPIPE') bail();
      else throw e;
    });
}
