/**
 * Runs packed Beacon programs the way a manager host does: the tgz unpacked into a
 * temp folder outside the repo, started with only `node` (NODE_PATH unset, cwd = that
 * folder), stopped with SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import * as tar from 'tar';
// @ts-expect-error plain ESM module, no types
import { packComponents } from '../../../scripts/lib/pack.mjs';

export interface PackResult {
  component: string;
  version: string;
  file: string;
  sha256: string;
  skipped: boolean;
}

/**
 * packs into `outDir`, by default the project's artifacts/ (shared with the build and
 * demo: up-to-date packages are reused, writes are atomic); returns component@version -> result
 */
export async function packInto(outDir: string | undefined, versions: string[], components: string[]) {
  const results: PackResult[] = await packComponents({ outDir, versions, components });
  return new Map(results.map((r) => [`${r.component}@${r.version}`, r]));
}

export const tempDir = (prefix: string) => mkdtempSync(path.join(os.tmpdir(), `beacon-${prefix}-`));

export async function unpack(tgz: string, dir = tempDir('release')) {
  await tar.x({ file: tgz, cwd: dir });
  return dir;
}

export interface Running {
  child: ChildProcess;
  port: number;
  logs: string[];
  exited: Promise<number | null>;
}
export interface Started {
  child: ChildProcess;
  logs: string[];
  exited: Promise<number | null>;
  listening: Promise<number>;
}

/** clean env: no NODE_PATH, nothing from the test runner that could help it find modules */
export function productEnv(extra: Record<string, string> = {}) {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: os.tmpdir(), ...extra };
  return env;
}

/** spawns `node <main> ...args`; `listening` resolves with the port it logs */
export function spawnProgram(dir: string, main: string, args: string[], env = productEnv()): Started {
  const child = spawn(process.execPath, [path.join(dir, main), ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.stderr!.on('data', (d) => logs.push(String(d)));
  const listening = new Promise<number>((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      logs.push(line);
      try {
        const ev = JSON.parse(line);
        if (ev.msg === 'listening') resolve(ev.port);
      } catch {
        /* not a log line */
      }
    });
    exited.then((code) => reject(new Error(`${main} exited with ${code} before listening:\n${logs.join('\n')}`)));
  });
  listening.catch(() => {}); // observed by whoever awaits it
  return { child, logs, exited, listening };
}

/** starts a program and resolves once it listens */
export async function start(dir: string, main: string, args: string[], env = productEnv()): Promise<Running> {
  const p = spawnProgram(dir, main, args, env);
  return { ...p, port: await p.listening };
}

/** resolves when `check` returns a truthy value (no clock: the test timeout bounds it) */
export async function eventually<T>(check: () => Promise<T> | T): Promise<T> {
  for (;;) {
    const v = await check();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function stop(r: Running): Promise<number | null> {
  if (r.child.exitCode !== null) return r.child.exitCode;
  r.child.kill('SIGTERM');
  return r.exited;
}

/** writes a YAML config (JSON is valid YAML) the way the templates render it */
export function writeConfig(dir: string, name: string, config: Record<string, unknown>) {
  const file = path.join(dir, name);
  writeFileSync(
    file,
    Object.entries(config)
      .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
      .join('\n') + '\n',
  );
  return file;
}

export const rmrf = (dir: string) => rmSync(dir, { recursive: true, force: true });

export async function getJson(url: string, init?: RequestInit) {
  const res = await fetch(url, init);
  return { status: res.status, body: await res.json() };
}
