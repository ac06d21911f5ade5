/**
 * The randomized kill sweep (issue 8, item 5): one manager per product and
 * database, held on the hop's old version; each case installs the hop with the
 * built CLI and kills something with SIGKILL (the installer at a random instant or
 * at its k-th journal record, a service, or everything under the root at once),
 * recovers as a user would (status, then resume or rollback, then `uphop services
 * start` where the services are down), and checks the result from outside.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { CLI, cli, health, sandbox, type CliRun, type DbKind, type Sandbox } from '../helpers/manager.js';
import { dataChanges, JournalWatch, killAll, leftovers, processesUnder, serviceOf, snapshot, type Snapshot } from './observe.js';

export type Kind = 'time' | 'journal' | 'service' | 'powercut';
export type Half = 'resume' | 'rollback';

export interface ProductDef {
  name: string;
  setup: string[];
  hop: string;
  hopId: string;
  from: string;
  to: string;
  /** component names that run as services */
  services: string[];
  /** the values the sandbox's Beacon-shaped values need changed for this product */
  values?(sb: Sandbox): void;
  seed(sb: Sandbox): Promise<void>;
}

/** mulberry32: small, seedable, good enough to spread kill times */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Tally {
  kills: number;
  healthyNew: number;
  healthyOld: number;
  broken: number;
  leftForNextRun: number;
  failures: string[];
  byKind: Record<string, number>;
}
export const newTally = (): Tally => ({ kills: 0, healthyNew: 0, healthyOld: 0, broken: 0, leftForNextRun: 0, failures: [], byKind: {} });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const short = (r: CliRun) => `exit ${r.code}${r.code ? `: ${(r.stderr.split('\n').find((l) => l.startsWith('error')) ?? r.stderr.trim().split('\n').pop() ?? '').slice(0, 300)}` : ''}`;

/** a free port in 20000-32767, below Linux's ephemeral range (32768-60999) */
async function quietPort(): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 12768);
    const free = await new Promise<boolean>((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

/** the last lines of a service's log (var/log/<product>/<component>.log), for a failure message */
function logTail(root: string, product: string, component: string): string {
  try {
    return readFileSync(path.join(root, 'var', 'log', product, `${component}.log`), 'utf8')
      .trim()
      .split('\n')
      .slice(-3)
      .join(' | ')
      .slice(0, 600);
  } catch {
    return '(no log)';
  }
}

/** one manager of one product on one database, on the hop's old version */
export class Manager {
  sb!: Sandbox;
  before!: Snapshot;
  /** spawn-to-exit of an uncrashed install, and its journal records */
  durationMs = 0;
  journalRecords = 0;
  servicesCommand = false;
  /** cases that left a dead installer's lock or a not-begun install's temp files after a status-only recovery */
  leftForNextRun = 0;

  constructor(
    readonly p: ProductDef,
    readonly db: DbKind,
  ) {}

  async open(): Promise<void> {
    this.sb = await sandbox(this.db);
    // a sweep holds its ports for many minutes while its services stop and start: below the kernel's
    // ephemeral range, no other test's bind(0) can take one in between
    this.sb.restPort = this.sb.values.rest_port = await quietPort();
    this.sb.values.worker_port = await quietPort();
    this.p.values?.(this.sb);
    await writeFile(this.sb.valuesFile, YAML.stringify(this.sb.values));
    for (const [i, b] of this.p.setup.entries()) {
      const r = await cli(['install', b, '--root', this.sb.root, '--allow-unsigned', ...(i === 0 ? ['--values', this.sb.valuesFile] : [])]);
      if (r.code !== 0) throw new Error(`setup install of ${path.basename(b)} failed: ${r.stderr}`);
    }
    await this.p.seed(this.sb);
    this.before = await snapshot(this.sb.db());
    this.servicesCommand = /^\s*uphop services\b/m.test((await cli(['--help'])).stdout);
    // the typical install, measured here: spawn to exit, and how many journal records it writes
    const watch = new JournalWatch(this.journal);
    watch.start(() => {});
    const t0 = Date.now();
    const r = await cli(['install', this.p.hop, '--root', this.sb.root, '--allow-unsigned']);
    this.durationMs = Date.now() - t0;
    await sleep(20);
    watch.stop();
    this.journalRecords = watch.records.length;
    if (r.code !== 0) throw new Error(`the measured install failed: ${r.stderr}`);
    const back = await cli(['rollback', '--root', this.sb.root]);
    if (back.code !== 0) throw new Error(`the rollback after the measured install failed: ${back.stderr}`);
    const problems = await this.check(this.p.from);
    if (problems.length) throw new Error(`after the measured install and its rollback: ${problems.join('; ')}`);
  }

  get journal() {
    return path.join(this.sb.root, 'var', 'lib', 'uphop', 'journal', `${this.p.hopId}.jsonl`);
  }

  async close(): Promise<void> {
    if (!this.sb) return;
    killAll(processesUnder(this.sb.root).map((p) => p.pid));
    await this.sb.cleanup().catch(() => undefined);
  }

  /** everything the sweep promises, for `version`; [] when all holds */
  async check(version: string, o: { statusOnly?: boolean; again?: boolean } = {}): Promise<string[]> {
    const out: string[] = [];
    const st = await cli(['status', '--root', this.sb.root, '--json']);
    let status: any = {};
    try {
      status = JSON.parse(st.stdout);
    } catch {
      out.push(`status printed no JSON (${short(st)})`);
    }
    if (status.state !== 'installed' || status.version !== version) out.push(`status says ${status.state} ${status.version ?? ''}, expected installed ${version}`);
    const h = await health(this.sb.restPort);
    if (h.status !== 200 || h.body?.version !== version) out.push(`health answers ${h.status} ${JSON.stringify(h.body)}, expected 200 on ${version}`);
    const procs = processesUnder(this.sb.root);
    for (const s of this.p.services) {
      const mine = procs.filter((p) => serviceOf(this.sb.root, p)?.component === s);
      if (mine.length !== 1)
        out.push(
          `${mine.length} processes of service ${s} (pids ${mine.map((p) => p.pid).join(', ') || 'none'}), expected 1${mine.length ? '' : `; its log ends: ${logTail(this.sb.root, this.p.name, s)}`}`,
        );
      for (const p of mine) {
        const v = serviceOf(this.sb.root, p)!.version;
        if (v && v !== version) out.push(`service ${s} (pid ${p.pid}) runs ${v}, expected ${version}`);
      }
    }
    const strays = procs.filter((p) => !serviceOf(this.sb.root, p));
    if (strays.length) out.push(`stray processes under the root: ${strays.map((p) => `${p.pid} ${p.cmdline.join(' ').slice(0, 120)}`).join('; ')}`);
    out.push(...dataChanges(this.before, await snapshot(this.sb.db(), this.before), version === this.p.from));
    // When the right recovery was to run nothing (killed after its commit point, or before it changed
    // anything), no uphop ran that could remove the dead installer's lock file: the next run takes it
    // over. Any recovery command must leave none.
    // Likewise an install killed before its journal began, which status reports ("interrupted before it changed
    // anything"): its temp files (the bundle copy) are recognised and removed by the next uphop run.
    const all = leftovers(this.sb.root);
    const forNextRun = (f: string) => !!o.statusOnly && (f.endsWith('(stale lock)') || !!status.notBegun);
    const temp = all.filter((f) => !forNextRun(f));
    if (all.length > temp.length && !o.again) this.leftForNextRun++;
    if (temp.length) out.push(`temporary files left: ${temp.join(', ')}`);
    return out;
  }
}

export interface Case {
  index: number;
  kind: Kind;
  half: Half;
  delayMs: number;
  record: number;
  seed: number;
}

/** a case's description, as the failure message prints it */
export const describeCase = (m: Manager, c: Case) =>
  `case ${c.index} (${m.p.name} on ${m.db}, ${c.kind === 'journal' ? `kill at journal record ${c.record}/${m.journalRecords}` : `${c.kind} kill at ${c.delayMs} ms of ~${m.durationMs}`}, then ${c.half})`;

/** runs the install, kills per the case, and says what the installer left (its exit, whether the journal began) */
async function installAndKill(m: Manager, c: Case, random: () => number): Promise<{ code: number | null; records: string[] }> {
  const child = spawn(process.execPath, [CLI, 'install', m.p.hop, '--root', m.sb.root, '--allow-unsigned'], { stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let done = false;
  void exited.then(() => (done = true));
  const watch = new JournalWatch(m.journal);
  const killInstaller = () => {
    try {
      child.kill('SIGKILL');
    } catch {
      /* gone */
    }
  };
  watch.start((records) => {
    if (c.kind === 'journal' && records.length >= c.record) killInstaller();
  });
  if (c.kind === 'time') {
    await Promise.race([sleep(c.delayMs), exited]);
    killInstaller();
  } else if (c.kind === 'service') {
    await Promise.race([sleep(c.delayMs), exited]);
    // a service of either version, whichever runs at that instant
    while (!done) {
      const services = processesUnder(m.sb.root).filter((p) => serviceOf(m.sb.root, p));
      if (services.length) {
        killAll([services[Math.floor(random() * services.length)].pid]);
        break;
      }
      await sleep(5);
    }
  } else if (c.kind === 'powercut') {
    await Promise.race([sleep(c.delayMs), exited]);
    // the installer and everything it started, in one sweep: no process survives a power cut
    killAll([child.pid!, ...processesUnder(m.sb.root).map((p) => p.pid)]);
    killInstaller();
  }
  const code = await exited;
  await sleep(10);
  watch.stop();
  if (c.kind === 'powercut') {
    // hooks or services forked in the instant of the cut
    for (let i = 0; i < 3; i++) {
      killAll(processesUnder(m.sb.root).map((p) => p.pid));
      await sleep(20);
    }
  }
  return { code, records: watch.records };
}

/**
 * One case: kill, recover as a user would, check. Returns the version it ended on
 * ('broken' with the problems when a promise does not hold).
 */
export async function runCase(m: Manager, c: Case): Promise<{ ended: 'new' | 'old' | 'broken'; problems: string[]; transcript: string[] }> {
  const random = rng(c.seed);
  const root = m.sb.root;
  const transcript: string[] = [];
  const run = async (args: string[]) => {
    const r = await cli([...args, '--root', root]);
    transcript.push(`uphop ${args.join(' ')}: ${short(r)}`);
    return r;
  };
  const killed = await installAndKill(m, c, random);
  transcript.push(`install: ${killed.code === null ? 'killed' : `exit ${killed.code}`} after ${killed.records.length} journal records`);
  const status = async () => {
    const r = await run(['status', '--json']);
    try {
      return JSON.parse(r.stdout);
    } catch {
      return {};
    }
  };
  let st = await status();
  let expected: string;
  if (c.kind === 'service' && killed.code !== null) {
    // the installer saw the kill itself: it finished (0) or rolled back (1)
    expected = killed.code === 0 ? m.p.to : m.p.from;
    if (st.state === 'interrupted') {
      await run([c.half]);
      expected = c.half === 'resume' ? m.p.to : m.p.from;
    }
  } else if (c.half === 'resume') {
    expected = m.p.to;
    // killed before it changed anything: status says so and resume runs it again
    if (st.state === 'interrupted' || st.notBegun) await run(['resume']);
    // killed before even that was on record: the user runs the install again
    else if (st.version === m.p.from) {
      const r = await cli(['install', m.p.hop, '--root', root, '--allow-unsigned']);
      transcript.push(`uphop install (again): ${short(r)}`);
    }
  } else {
    expected = m.p.from;
    if (st.state === 'interrupted' || st.version === m.p.to) await run(['rollback']);
  }
  // a power cut (or a killed service) leaves the installed version's services down: the way back up
  st = await status();
  const down = Array.isArray(st.services) && st.services.some((s: any) => s.status !== 'running');
  if (st.state === 'installed' && (down || (await health(m.sb.restPort)).status !== 200) && m.servicesCommand) await run(['services', 'start']);
  const statusOnly = transcript.every((t) => !/^uphop (resume|rollback|services|install)/.test(t));
  const problems = await m.check(expected, { statusOnly });
  if (problems.length) return { ended: 'broken', problems, transcript };
  return { ended: expected === m.p.to ? 'new' : 'old', problems, transcript };
}

/** back to the old version for the next case */
export async function reset(m: Manager): Promise<string[]> {
  const st = JSON.parse((await cli(['status', '--root', m.sb.root, '--json'])).stdout || '{}');
  if (st.version === m.p.to) {
    const r = await cli(['rollback', '--root', m.sb.root]);
    if (r.code !== 0) return [`the reset rollback failed: ${short(r)}`];
    return m.check(m.p.from);
  }
  return m.check(m.p.from, { statusOnly: true, again: true });
}
