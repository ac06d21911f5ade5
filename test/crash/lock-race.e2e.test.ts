/**
 * The install lock (and the agents lock, the same code) under real races: 4 real
 * processes acquire var/lock/uphop.lock at the same instant, 200+ rounds, and
 * exactly one wins each round; then the same with a stale lock (a dead pid's) in
 * place, where exactly one takes it over. The racers call dist/install/lock.js.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const RACERS = 4;
const ROUNDS = Number(process.env.UPHOP_LOCK_ROUNDS ?? 200);
const STALE_ROUNDS = Number(process.env.UPHOP_LOCK_STALE_ROUNDS ?? 100);

interface Racer {
  child: ChildProcessWithoutNullStreams;
  next(): Promise<string>;
}

function startRacer(): Promise<Racer> {
  const child = spawn(process.execPath, [path.join(__dirname, 'lock-racer.mjs'), 'dist'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const queue: string[] = [];
  const waiting: ((l: string) => void)[] = [];
  createInterface({ input: child.stdout }).on('line', (l) => (waiting.length ? waiting.shift()!(l) : queue.push(l)));
  let err = '';
  let exited: Error | undefined;
  child.stderr.on('data', (d) => (err += d));
  const rejects: ((e: Error) => void)[] = [];
  child.once('exit', (code) => {
    exited = new Error(`racer exited ${code}: ${err}`);
    for (const r of rejects.splice(0)) r(exited);
  });
  const next = () =>
    new Promise<string>((resolve, reject) => {
      if (queue.length) return resolve(queue.shift()!);
      if (exited) return reject(exited);
      waiting.push(resolve);
      rejects.push(reject);
    });
  return next().then((l) => {
    expect(l).toBe('ready');
    return { child, next };
  });
}

/** a pid and start time that name no live process */
function deadOwner(): { pid: number; startTime: string } {
  const r = spawnSync('sh', ['-c', 'echo $$; cut -d" " -f22 /proc/$$/stat']);
  const [pid, startTime] = String(r.stdout).trim().split('\n');
  return { pid: Number(pid), startTime };
}

let racers: Racer[] = [];
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'uphop-lock-race-'));
  racers = await Promise.all(Array.from({ length: RACERS }, startRacer));
});
afterAll(() => {
  for (const r of racers) r.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function round(file: string): Promise<string[]> {
  const at = Date.now() + 30;
  for (const r of racers) r.child.stdin.write(`go ${file} ${at}\n`);
  return Promise.all(racers.map((r) => r.next()));
}

describe('the lock under races of real processes', () => {
  it(`${ROUNDS} rounds of ${RACERS} racers: exactly one winner each`, async () => {
    const bad: string[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const lockDir = path.join(dir, `fresh-${i}`, 'var', 'lock');
      const name = i % 4 === 3 ? 'uphop-agents.lock' : 'uphop.lock';
      const results = await round(path.join(lockDir, name));
      const won = results.filter((r) => r === 'won').length;
      const strange = results.filter((r) => r !== 'won' && r !== 'lost LOCK_HELD');
      if (won !== 1 || strange.length) bad.push(`round ${i}: ${results.join(', ')}`);
      // nothing but the lock itself is left: no temp or claim files
      const left = readdirSync(lockDir);
      if (left.length !== 1 || left[0] !== name) bad.push(`round ${i} left ${left.join(', ')}`);
      rmSync(path.join(dir, `fresh-${i}`), { recursive: true, force: true });
    }
    expect(bad).toEqual([]);
  });

  it(`${STALE_ROUNDS} rounds of ${RACERS} racers over a dead pid's lock: exactly one takes it over`, async () => {
    const bad: string[] = [];
    const dead = deadOwner();
    for (let i = 0; i < STALE_ROUNDS; i++) {
      const lockDir = path.join(dir, `stale-${i}`, 'var', 'lock');
      mkdirSync(lockDir, { recursive: true });
      const file = path.join(lockDir, 'uphop.lock');
      // every 5th round the stale lock is an empty file, as an older uphop killed mid-write left it
      writeFileSync(file, i % 5 === 4 ? '' : JSON.stringify({ ...dead, host: hostname(), bundle: 'old', since: new Date(i).toISOString() }) + '\n');
      // and every 3rd round a killed racer's claim on it is left too
      if (i % 3 === 2) writeFileSync(`${file}.takeover-0123456789abcdef`, JSON.stringify({ ...dead, host: hostname(), bundle: 'race', since: 'x' }));
      const results = await round(file);
      const won = results.filter((r) => r === 'won').length;
      const strange = results.filter((r) => r !== 'won' && r !== 'lost LOCK_HELD');
      if (won !== 1 || strange.length) bad.push(`round ${i}: ${results.join(', ')}`);
      const owner = JSON.parse(readFileSync(file, 'utf8'));
      if (!racers.some((r) => r.child.pid === owner.pid)) bad.push(`round ${i}: the lock names pid ${owner.pid}, no racer`);
      const left = readdirSync(lockDir);
      if (left.length !== 1) bad.push(`round ${i} left ${left.join(', ')}`);
      rmSync(path.join(dir, `stale-${i}`), { recursive: true, force: true });
    }
    expect(bad).toEqual([]);
  });
});
