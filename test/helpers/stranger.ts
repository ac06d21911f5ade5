/**
 * A product nobody on this project wrote: a project folder made in the test, in a
 * temp folder outside the repository, driven with the built CLI as its release
 * engineer would (cwd = the project, nothing of Beacon's in reach).
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLI, stopServices, type CliRun } from './manager.js';

export interface Stranger {
  /** the project root (holds bundles/, artifacts/, ...) */
  dir: string;
  /** a manager root for installs, next to the project */
  root: string;
  write(rel: string, text: string, mode?: number): Promise<string>;
  /** a .tgz of `files` (relative path -> text) at artifacts/<name> */
  tarball(name: string, files: Record<string, string>): Promise<string>;
  uphop(args: string[], env?: Record<string, string>): Promise<CliRun>;
  cleanup(): Promise<void>;
}

export function runIn(cwd: string, args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000', ...env }, maxBuffer: 32 << 20 }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: number | string }) | null;
      resolve({ code: !e ? 0 : typeof e.code === 'number' ? e.code : 1, stdout, stderr });
    });
  });
}

export async function stranger(): Promise<Stranger> {
  const base = await mkdtemp(path.join(tmpdir(), 'uphop-stranger-'));
  const dir = path.join(base, 'project');
  const root = path.join(base, 'manager');
  await mkdir(dir);
  const write = async (rel: string, text: string, mode = 0o644) => {
    const file = path.join(dir, rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text, { mode });
    return file;
  };
  return {
    dir,
    root,
    write,
    async tarball(name, files) {
      const src = path.join(base, `src-${name}`);
      for (const [rel, text] of Object.entries(files)) {
        await mkdir(path.dirname(path.join(src, rel)), { recursive: true });
        await writeFile(path.join(src, rel), text);
      }
      await mkdir(path.join(dir, 'artifacts'), { recursive: true });
      const out = path.join(dir, 'artifacts', name);
      execFileSync('tar', ['-czf', out, '-C', src, '.']);
      return out;
    },
    uphop: (args, env) => runIn(dir, args, env),
    async cleanup() {
      await stopServices(root);
      await rm(base, { recursive: true, force: true });
    },
  };
}
