/**
 * A sandbox manager for tests: a temp --root, site values on free loopback ports,
 * a fresh database (SQLite file, PostgreSQL schema or MariaDB database), and a
 * cleanup that stops every service the installer started and drops the database.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { inject } from 'vitest';
import YAML from 'yaml';
import { MYSQL, PG } from './services.js';

export type DbKind = 'sqlite' | 'pg' | 'mysql';

const bindable = (port: number) =>
  new Promise<number | undefined>((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(undefined));
    s.listen(port, '127.0.0.1', () => {
      const got = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(got));
    });
  });

/**
 * A free loopback port for a service under test, picked below Linux's ephemeral
 * range (32768-60999): a port the kernel hands out for port 0 is also what every
 * other process's outgoing connections get, and one of those can take it before
 * the service binds (EADDRINUSE) on a machine busy with parallel suites.
 */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const got = await bindable(20_000 + Math.floor(Math.random() * 12_000));
    if (got) return got;
  }
  return (await bindable(0))!;
}

export const bundlesDir = () => {
  const dir = inject('bundlesDir');
  if (!dir) throw new Error('these tests need the reference bundles: run them without UPHOP_SKIP_BUILD');
  return dir;
};
export const bundle = (hop: string) => path.join(bundlesDir(), `beacon-${hop}.tar.gz`);

export interface Sandbox {
  root: string;
  valuesFile: string;
  values: Record<string, any>;
  restPort: number;
  /** a knex on the manager's database (the test's own connection) */
  db(): Knex;
  cleanup(): Promise<void>;
}

const rand = () => Math.random().toString(36).slice(2, 10);

export async function sandbox(kind: DbKind = 'sqlite'): Promise<Sandbox> {
  const root = await mkdtemp(path.join(tmpdir(), 'uphop-mgr-'));
  const [restPort, workerPort] = [await freePort(), await freePort()];
  let dbValues: Record<string, unknown>;
  let drop = async () => {};
  if (kind === 'pg') {
    const schema = `uphop_t_${rand()}`;
    const admin = knexFactory({ client: 'pg', connection: PG });
    await admin.raw(`create schema ${schema}`);
    await admin.destroy();
    dbValues = { client: 'pg', connection: { ...PG, schema } };
    drop = async () => {
      const a = knexFactory({ client: 'pg', connection: PG });
      await a.raw(`drop schema if exists ${schema} cascade`);
      await a.destroy();
    };
  } else if (kind === 'mysql') {
    const database = `uphop_t_${rand()}`;
    const admin = knexFactory({ client: 'mysql2', connection: { ...MYSQL, database: undefined } });
    await admin.raw(`create database ${database}`);
    await admin.destroy();
    dbValues = { client: 'mysql', connection: { ...MYSQL, database } };
    drop = async () => {
      const a = knexFactory({ client: 'mysql2', connection: { ...MYSQL, database: undefined } });
      await a.raw(`drop database if exists ${database}`);
      await a.destroy();
    };
  } else dbValues = { client: 'sqlite', connection: { filename: 'var/lib/beacon/beacon.db' } };
  const values = { db: dbValues, services: { driver: 'process' }, rest_port: restPort, worker_port: workerPort, agents: { token: 'test-token' } };
  const valuesFile = path.join(root, '..', `${path.basename(root)}-values.yaml`);
  await writeFile(valuesFile, YAML.stringify(values));
  let knex: Knex | undefined;
  return {
    root,
    valuesFile,
    values,
    restPort,
    db() {
      if (knex) return knex;
      const c = dbValues.connection as Record<string, any>;
      if (kind === 'sqlite') knex = knexFactory({ client: 'better-sqlite3', connection: { filename: path.join(root, c.filename) }, useNullAsDefault: true });
      else if (kind === 'pg') knex = knexFactory({ client: 'pg', connection: PG, searchPath: [c.schema] });
      else knex = knexFactory({ client: 'mysql2', connection: c });
      return knex;
    },
    async cleanup() {
      await knex?.destroy();
      await stopServices(root);
      await drop();
      await rm(root, { recursive: true, force: true });
      await rm(valuesFile, { force: true });
    },
  };
}

/** kill every process group whose pidfile the process driver left under root */
export async function stopServices(root: string): Promise<void> {
  const dir = path.join(root, 'var', 'run');
  let products: string[] = [];
  try {
    products = await readdir(dir);
  } catch {
    return;
  }
  for (const p of products) {
    for (const f of await readdir(path.join(dir, p)).catch(() => [] as string[])) {
      const pid = Number((await readFile(path.join(dir, p, f), 'utf8').catch(() => '')).split('\n')[0]);
      if (pid > 1)
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
    }
  }
}

export const CLI = path.resolve('dist/cli/main.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** the built CLI as a user runs it (a real process: crash tests kill it) */
export function cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, maxBuffer: 32 << 20 }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: number | string; signal?: string }) | null;
      const code = !e ? 0 : typeof e.code === 'number' ? e.code : e.signal === 'SIGKILL' ? 137 : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** a manager installed fresh from these reference bundles, in order (the site values with the first) */
export async function installHops(sb: Sandbox, bundles: string[], extra: string[] = []): Promise<void> {
  for (const [i, b] of bundles.entries()) {
    const r = await cli(['install', b, '--root', sb.root, '--allow-unsigned', ...(i === 0 ? ['--values', sb.valuesFile] : []), ...extra]);
    if (r.code !== 0) throw new Error(`setup install of ${b} failed: ${r.stderr}`);
  }
}

/**
 * The usual starting point: a sandbox on SQLite with Beacon installed fresh at 3.4.2
 * and hopped to 4.0.1 (each install also given `extra`), holding `items`.
 */
export async function sandboxOn401(o: { items?: string[]; extra?: string[] } = {}): Promise<Sandbox> {
  const sb = await sandbox('sqlite');
  try {
    await installHops(sb, [bundle('none-to-3.4.2'), bundle('3.4.2-to-4.0.1')], o.extra);
    if (o.items?.length)
      await sb
        .db()('items')
        .insert(o.items.map((name) => ({ name })));
    return sb;
  } catch (e) {
    // the caller never gets it to clean up: its services must not outlive the failed setup
    await sb.cleanup();
    throw e;
  }
}

export async function health(port: number): Promise<{ status: number; body: any }> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(3000) });
    return { status: res.status, body: await res.json().catch(() => null) };
  } catch {
    return { status: 0, body: null };
  }
}
