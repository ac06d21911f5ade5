/**
 * Start a service held at a gate: `/bin/sh` waits for one line on fd 3 and only then
 * execs the service (same pid, same start time). The caller writes the pidfile
 * first, then opens the gate; so no service can run, let alone bind its port,
 * before uphop has recorded it. If the installer dies before opening the gate, the
 * pipe closes and the shell exits without starting anything.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';

const GATE = 'read -r _ <&3 || exit 125; exec "$@" 3<&-';
/** CPU time (clock ticks, 10 ms each on Linux) a service gets before its crash watch starts */
const STARTUP_TICKS = 5;

/** user + system CPU ticks of a process; Infinity when /proc cannot tell (then nothing waits on it) */
async function cpuTicks(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  if (!stat) return Infinity;
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

/** resolve an executable like execvp would; undefined when there is none */
export function findExecutable(cmd: string, env: NodeJS.ProcessEnv, cwd?: string): string | undefined {
  const can = (f: string) => {
    try {
      accessSync(f, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (cmd.includes('/')) {
    const f = path.resolve(cwd ?? process.cwd(), cmd);
    return can(f) ? f : undefined;
  }
  for (const dir of (env.PATH ?? '/usr/bin:/bin').split(':')) if (dir && can(path.join(dir, cmd))) return path.join(dir, cmd);
  return undefined;
}

export interface Gated {
  child: ChildProcess;
  /** let the service run (after its pidfile is durable) */
  open(): Promise<void>;
  /**
   * resolves once the shell has exec'd the service and the service has had some CPU
   * time to get going (or after `ms`): a crash watch starts from there, so a program
   * that dies at once is caught also on a host too busy to start it quickly
   */
  execed(ms: number): Promise<void>;
}

export function spawnGated(argv: string[], opts: { cwd?: string; env: NodeJS.ProcessEnv; out: number }): Gated {
  const stdio: StdioOptions = ['ignore', opts.out, opts.out, 'pipe'];
  const child = spawn('/bin/sh', ['-c', GATE, 'uphop-gate', ...argv], {
    detached: true, // setsid: own session and process group, no controlling terminal
    stdio,
    cwd: opts.cwd,
    env: opts.env,
  });
  const gate = child.stdio[3] as Writable;
  gate.on('error', () => undefined); // the shell may already be gone: the exit watch reports it
  return {
    child,
    open: () =>
      new Promise<void>((resolve) => {
        gate.end('go\n', () => resolve());
      }),
    async execed(ms) {
      const deadline = Date.now() + ms;
      let execd = false;
      while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
        if (!execd) execd = (await readFile(`/proc/${child.pid}/cmdline`, 'utf8').catch(() => '')).split('\0')[2] !== GATE;
        if (execd && (await cpuTicks(child.pid!)) >= STARTUP_TICKS) return;
        await sleep(10);
      }
    },
  };
}
