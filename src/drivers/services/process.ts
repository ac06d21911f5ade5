/**
 * The embedded service manager: each service runs detached in its own process group
 * (so it outlives the installer), logs to var/log/<product>/<name>.log and is tracked
 * by var/run/<product>/<name>.pid (pid + start time, see pidfile.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { failure, usageError } from '../../errors.js';
import { silent } from '../../events.js';
import { exists } from '../fsutil.js';
import { serviceLogFile, servicePidFile } from '../layout.js';
import { logTail } from './logtail.js';
import { readPidfile, removePidfile, writePidfile, type PidRecord } from './pidfile.js';
import { groupAlive, isSameProcess, signalGroup, startTimeOf } from './proc.js';
import type { ServiceDriver, ServiceDriverOptions, ServiceSpec, StopOptions } from './types.js';

const DEFAULT_STOP_TIMEOUT_MS = 10_000;
const KILL_WAIT_MS = 5_000;

type Exit = { code: number | null; signal: NodeJS.Signals | null };

/** resolves once the OS created the process, rejects when the executable cannot run */
const spawned = (child: ChildProcess, svc: ServiceSpec) =>
  new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (e: NodeJS.ErrnoException) =>
      reject(failure('SERVICE_START_FAILED', `Cannot start service "${svc.name}": ${svc.exec[0]} ${e.code === 'ENOENT' ? 'was not found' : `failed (${e.code ?? e.message})`}.`, 'Check the exec path of the service in the bundle and that its release is installed.', e)),
    );
  });

export function processDriver(opts: ServiceDriverOptions): ServiceDriver {
  const emit = opts.emit ?? silent;
  const crashWaitMs = opts.crashWaitMs ?? 300;
  const files = (svc: ServiceSpec) => ({
    pid: servicePidFile(opts.root, opts.product, svc.name),
    log: serviceLogFile(opts.root, opts.product, svc.name),
  });

  /** the pidfile's record when it names our live process; cleans a stale one */
  async function live(pidFile: string): Promise<PidRecord | null> {
    const rec = await readPidfile(pidFile);
    if (rec && (await isSameProcess(rec.pid, rec.startTime))) return rec;
    await removePidfile(pidFile);
    return null;
  }

  async function waitGone(rec: PidRecord, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    for (let delay = 20; ; delay = Math.min(delay * 2, 250)) {
      if (!(await isSameProcess(rec.pid, rec.startTime)) && !(await groupAlive(rec.pid))) return true;
      if (Date.now() >= deadline) return false;
      await sleep(Math.min(delay, Math.max(1, deadline - Date.now())));
    }
  }

  async function start(svc: ServiceSpec): Promise<void> {
    if (svc.exec.length === 0) {
      throw usageError('SERVICE_NO_EXEC', `Service "${svc.name}" has an empty exec.`, 'Give the service an argv in the bundle, e.g. ["node", "${release}/server.js"].');
    }
    const f = files(svc);
    if (await live(f.pid)) {
      emit({ type: 'log', level: 'info', message: `service ${svc.name} is already running` });
      return;
    }
    if (svc.cwd && !(await exists(svc.cwd))) {
      throw failure('SERVICE_START_FAILED', `Cannot start service "${svc.name}": its working directory ${svc.cwd} does not exist.`, 'Check that the release of the service is installed (resume the install).');
    }
    await fs.mkdir(path.dirname(f.log), { recursive: true });
    await fs.mkdir(path.dirname(f.pid), { recursive: true });
    const log = await fs.open(f.log, 'a', 0o640);
    let child: ChildProcess;
    let exited!: Promise<Exit>;
    const logStart = (await log.stat()).size;
    try {
      child = spawn(svc.exec[0], svc.exec.slice(1), {
        detached: true, // setsid: own session and process group, no controlling terminal
        stdio: ['ignore', log.fd, log.fd],
        cwd: svc.cwd,
        env: { ...process.env, ...svc.env },
      });
      // listen before any await: a program that dies at once may exit before we look
      exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
      await spawned(child, svc);
    } finally {
      await log.close();
    }
    child.unref();
    const pid = child.pid!;
    // pidfile before the crash watch: an installer killed now still leaves a trace to stop
    await writePidfile(f.pid, { pid, startTime: await startTimeOf(pid) });
    const exit = await Promise.race([exited, sleep(crashWaitMs).then(() => null)]);
    if (exit) {
      await removePidfile(f.pid);
      const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
      const tail = await logTail(f.log, logStart);
      const lines = tail.length ? `; the last lines of its log:\n${tail.map((l) => `  ${l}`).join('\n')}` : ' without writing to its log';
      throw failure('SERVICE_CRASHED', `Service "${svc.name}" ${how} right after it started${lines}`, `Read ${f.log}, fix the cause, then resume or roll back.`);
    }
    emit({ type: 'log', level: 'info', message: `service ${svc.name} started (pid ${pid})` });
  }

  async function stop(svc: ServiceSpec, stopOpts: StopOptions = {}): Promise<void> {
    const f = files(svc);
    const rec = await live(f.pid);
    if (!rec) return;
    signalGroup(rec.pid, 'SIGTERM');
    if (!(await waitGone(rec, stopOpts.timeoutMs ?? DEFAULT_STOP_TIMEOUT_MS))) {
      emit({ type: 'log', level: 'warn', message: `service ${svc.name} ignored SIGTERM, killing it` });
      signalGroup(rec.pid, 'SIGKILL');
      if (!(await waitGone(rec, KILL_WAIT_MS))) {
        throw failure('SERVICE_STOP_FAILED', `Service "${svc.name}" (pid ${rec.pid}) is still running after SIGKILL.`, 'Check the process with `ps` (uninterruptible I/O?) and stop it by hand.');
      }
    }
    await removePidfile(f.pid);
    emit({ type: 'log', level: 'info', message: `service ${svc.name} stopped` });
  }

  return {
    start,
    stop,
    status: async (svc) => ((await live(files(svc).pid)) ? 'running' : 'stopped'),
  };
}
