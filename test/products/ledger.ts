/**
 * Ledger (products/ledger), the Python reference product, as its release engineer
 * and its operator see it: the project copied to a temp folder, its packages made by
 * its own build-artifacts.sh, its bundles by the built CLI; a sandbox manager per
 * test on SQLite or a fresh PostgreSQL schema, seen through /health, its entries and
 * the processes that run.
 */
import { execFileSync } from 'node:child_process';
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import knexFactory, { type Knex } from 'knex';
import YAML from 'yaml';
import net from 'node:net';
import { CLI, freePort } from '../helpers/manager.js';
import { PG } from '../helpers/services.js';

export const PYTHON = '/usr/bin/python3'; // Debian's python3, where python3-psycopg2 is installed

/**
 * Can Ledger run here: Debian's python3 and dpkg-deb, plus python3-psycopg2 for PostgreSQL?
 * Missing: a skip with the command that fixes it, or a failure on CI (.ci/run installs them).
 */
export function ledgerRuns(db: 'sqlite' | 'pg'): boolean {
  const missing: string[] = [];
  const works = (cmd: string, args: string[]) => {
    try {
      execFileSync(cmd, args, { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  if (!works(PYTHON, ['-c', 'import sqlite3'])) missing.push('python3');
  if (!works('dpkg-deb', ['--version'])) missing.push('dpkg');
  if (db === 'pg' && !works(PYTHON, ['-c', 'import psycopg2'])) missing.push('python3-psycopg2');
  if (!missing.length) return true;
  const how = `apt-get install -y ${missing.join(' ')}`;
  if (process.env.CI) throw new Error(`Ledger's tests on ${db} must run on CI: ${how}`);
  console.warn(`skipping Ledger's tests on ${db}: ${missing.join(', ')} missing; to enable them, ${how}`);
  return false;
}
export const HOPS = ['none-to-1.0.0', '1.0.0-to-1.1.0', '1.1.0-to-1.2.0'] as const;

export interface LedgerProject {
  dir: string;
  /** the bundle of a hop, built from this copy */
  bundle(hop: string): string;
  /** a copy of the project with a hop's bundle.yaml edited as data and files added, that hop built (once per name) */
  variant(name: string, hop: string, edit: (spec: any) => void, files?: Record<string, string>): Promise<string>;
  cleanup(): Promise<void>;
}

const build = (project: string, out: string, hops: string[]) =>
  execFileSync(process.execPath, [CLI, 'build', ...hops.map((h) => path.join(project, 'bundles', h)), '--out', out], { env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' }, stdio: 'pipe' });

export async function ledgerProject(): Promise<LedgerProject> {
  const top = await mkdtemp(path.join(tmpdir(), 'uphop-ledger-'));
  const dir = path.join(top, 'project');
  const built = new Map<string, string>();
  await cp('products/ledger', dir, { recursive: true, filter: (src) => !['artifacts', 'out'].includes(path.basename(src)) });
  execFileSync('sh', [path.join(dir, 'build-artifacts.sh')], { stdio: 'pipe' });
  build(dir, path.join(dir, 'out'), [...HOPS]);
  return {
    dir,
    bundle: (hop) => path.join(dir, 'out', `ledger-${hop}.tar.gz`),
    async variant(name, hop, edit, files = {}) {
      if (built.has(name)) return built.get(name)!;
      const copy = path.join(top, 'variants', name);
      await cp(dir, copy, { recursive: true, filter: (src) => !src.startsWith(path.join(dir, 'out')) });
      const specFile = path.join(copy, 'bundles', hop, 'bundle.yaml');
      const spec = YAML.parse(await readFile(specFile, 'utf8'));
      edit(spec);
      await writeFile(specFile, YAML.stringify(spec));
      for (const [rel, text] of Object.entries(files)) await writeFile(path.join(copy, rel), text);
      build(copy, path.join(copy, 'out'), [hop]);
      built.set(name, path.join(copy, 'out', `ledger-${hop}.tar.gz`));
      return built.get(name)!;
    },
    cleanup: () => rm(top, { recursive: true, force: true }),
  };
}

/**
 * A free port below the kernel's ephemeral range. A port from bind(0) is free only
 * until it is closed: while a test installs, any other process's bind(0) or outgoing
 * connection may get it. A port outside that range is handed out by no one else.
 */
export async function quietPort(): Promise<number> {
  const range = (await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').catch(() => '')).trim().split(/\s+/).map(Number);
  const below = range[0] > 12_000 ? range[0] : 0;
  for (let i = 0; below && i < 50; i++) {
    const port = 10_000 + Math.floor(Math.random() * (below - 10_000));
    const ok = await new Promise<boolean>((resolve) => {
      const s = net
        .createServer()
        .once('error', () => resolve(false))
        .listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (ok) return port;
  }
  return freePort();
}

export type LedgerDb = 'sqlite' | 'pg';

export interface LedgerSandbox {
  root: string;
  valuesFile: string;
  port: number;
  /** the service processes of this manager: the python programs started with its config */
  processes(): Promise<number[]>;
  /** the manager's database as SQL rows (the test's own connection) */
  sql(query: string): Promise<any[]>;
  cleanup(): Promise<void>;
}

const rand = () => Math.random().toString(36).slice(2, 10);

export async function ledgerSandbox(kind: LedgerDb): Promise<LedgerSandbox> {
  const root = await mkdtemp(path.join(tmpdir(), 'uphop-ledger-mgr-'));
  const port = await quietPort();
  const schema = `ledger_t_${rand()}`;
  const knex: Knex | undefined = kind === 'pg' ? knexFactory({ client: 'pg', connection: PG, searchPath: [schema], pool: { min: 0, max: 2 } }) : undefined;
  await knex?.raw(`create schema ${schema}`);
  const db = kind === 'pg' ? { client: 'pg', connection: { ...PG, schema } } : { client: 'sqlite', connection: { filename: 'var/lib/ledger/ledger.db' } };
  const valuesFile = `${root}-values.yaml`;
  await writeFile(valuesFile, YAML.stringify({ db, services: { driver: 'process' }, python: PYTHON, http_port: port }));
  const config = path.join(root, 'etc/ledger/ledger.json');
  const processes = async () => {
    const pids: number[] = [];
    for (const p of await readdir('/proc')) {
      if (!/^\d+$/.test(p)) continue;
      const argv = (await readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '')).split('\0');
      if (argv.includes(config) && argv.some((a) => a.endsWith('/server.py'))) pids.push(Number(p));
    }
    return pids;
  };
  return {
    root,
    valuesFile,
    port,
    processes,
    async sql(query) {
      if (knex) return (await knex.raw(query)).rows;
      // a connection per query: a rollback may replace the file with its backup
      const file = new Database(path.join(root, 'var/lib/ledger/ledger.db'), { readonly: true, fileMustExist: true });
      try {
        return file.prepare(query).all();
      } finally {
        file.close();
      }
    },
    async cleanup() {
      // every service of this manager, found by its command line (a pidfile may be gone after a crash)
      for (const pid of await processes())
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      await knex?.raw(`drop schema if exists ${schema} cascade`).catch(() => {});
      await knex?.destroy();
      await rm(root, { recursive: true, force: true });
      await rm(valuesFile, { force: true });
    },
  };
}

export interface Health {
  status: number;
  body: any;
}

export async function ledgerHealth(port: number): Promise<Health> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(3000) });
    return { status: res.status, body: await res.json().catch(() => null) };
  } catch {
    return { status: 0, body: null };
  }
}

export async function addEntry(port: number, entry: Record<string, unknown>): Promise<any> {
  const res = await fetch(`http://127.0.0.1:${port}/entries`, { method: 'POST', body: JSON.stringify(entry), signal: AbortSignal.timeout(3000) });
  if (res.status !== 201) throw new Error(`POST /entries: ${res.status} ${await res.text()}`);
  return res.json();
}

export async function entries(port: number): Promise<any[]> {
  const res = await fetch(`http://127.0.0.1:${port}/entries`, { signal: AbortSignal.timeout(3000) });
  return res.json() as Promise<any[]>;
}
