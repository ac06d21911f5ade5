/**
 * The embedded service manager: each service runs detached in its own process group
 * (so it outlives the installer), logs to var/log/<product>/<name>.log and is tracked
 * by var/run/<product>/<name>.pid (pid + start time, see pidfile.ts). The pidfile is
 * durable before the service runs (gate.ts). Processes of a service that no pidfile
 * names (strays: a lost pidfile, an older uphop killed mid-start) are found by their
 * release path (discover.ts): start adopts one of the right version and stops the
 * others, stop stops them all.
 *
 * It does not survive a reboot: nothing starts the services again at boot. Hook
 * `uphop services start` into boot (`uphop services unit` prints a systemd unit;
 * docs/crash-safety.md), or use the systemd driver.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { failure, usageError } from '../../errors.js';
import { silent } from '../../events.js';
import { exists } from '../fsutil.js';
import { serviceLogFile, servicePidFile } from '../layout.js';
import { findServiceProcesses, releaseOf, type FoundProcess } from './discover.js';
import { findExecutable, spawnGated } from './gate.js';
import { describeExit, tailText } from './exit.js';
import { logTail } from './logtail.js';
import { readPidfile, removePidfile, writePidfile, type PidRecord } from './pidfile.js';
import { groupAlive, isSameProcess, signalGroup, startTimeOf } from './proc.js';
import type { ServiceDriver, ServiceDriverOptions, ServiceExit, ServiceProcess, ServiceSpec, StopOptions } from './types.js';

const DEFAULT_STOP_TIMEOUT_MS = 10_000;
const KILL_WAIT_MS = 5_000;
// the exit event follows the kernel's view of a dead child by a moment
const EXIT_EVENT_WAIT_MS = 500;

type Exit = { code: number | null; signal: NodeJS.Signals | null };

export function processDriver(opts: ServiceDriverOptions): ServiceDriver {
  const emit = opts.emit ?? silent;
  const crashWaitMs = opts.crashWaitMs ?? 300;
  /** the exit of each service this driver started (its own children): where code and signal come from */
  const children = new Map<string, Promise<Exit>>();
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

  /** processes of this service that its pidfile does not name */
  async function strays(svc: ServiceSpec, tracked: PidRecord | null): Promise<FoundProcess[]> {
    const all = await findServiceProcesses(opts.root, opts.product, [svc.name]);
    return all.filter((p) => !tracked || (p.pid !== tracked.pid && p.pgrp !== tracked.pid));
  }

  async function waitGone(rec: PidRecord, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    for (let delay = 20; ; delay = Math.min(delay * 2, 250)) {
      if (!(await isSameProcess(rec.pid, rec.startTime)) && !(await groupAlive(rec.pid))) return true;
      if (Date.now() >= deadline) return false;
      await sleep(Math.min(delay, Math.max(1, deadline - Date.now())));
    }
  }

  /** SIGTERM its group, SIGKILL after the timeout */
  async function terminate(svc: ServiceSpec, rec: PidRecord, timeoutMs: number) {
    signalGroup(rec.pid, 'SIGTERM');
    if (await waitGone(rec, timeoutMs)) return;
    emit({ type: 'log', level: 'warn', message: `service ${svc.name} (pid ${rec.pid}) ignored SIGTERM, killing it` });
    signalGroup(rec.pid, 'SIGKILL');
    if (!(await waitGone(rec, KILL_WAIT_MS))) {
      throw failure('SERVICE_STOP_FAILED', `Service "${svc.name}" (pid ${rec.pid}) is still running after SIGKILL.`, 'Check the process with `ps` (uninterruptible I/O?) and stop it by hand.');
    }
  }

  async function stopStrays(svc: ServiceSpec, found: FoundProcess[], timeoutMs: number) {
    for (const p of found) {
      emit({ type: 'log', level: 'warn', message: `service ${svc.name}: stopping pid ${p.pid} (${p.version ?? 'unknown version'}), which runs without a pidfile` });
      await terminate(svc, { pid: p.pid, startTime: p.startTime }, timeoutMs);
    }
  }

  async function start(svc: ServiceSpec, stopOpts: StopOptions = {}): Promise<void> {
    if (svc.exec.length === 0) {
      throw usageError('SERVICE_NO_EXEC', `Service "${svc.name}" has an empty exec.`, 'Give the service an argv in the bundle, e.g. ["node", "${release}/server.js"].');
    }
    const f = files(svc);
    const timeoutMs = stopOpts.timeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
    let tracked = await live(f.pid);
    const want = await releaseOf(svc.cwd, opts.root, opts.product);
    const ours = tracked && (await findServiceProcesses(opts.root, opts.product, [svc.name])).find((p) => p.pid === tracked!.pid);
    if (tracked && want && ours?.version && ours.version !== want) {
      // the pidfile names another release than the one to start (a kill between swap and start)
      emit({ type: 'log', level: 'warn', message: `service ${svc.name} runs ${ours.version}, not ${want}: stopping it` });
      await terminate(svc, tracked, timeoutMs);
      await removePidfile(f.pid);
      tracked = null;
    }
    const found = await strays(svc, tracked);
    if (tracked) {
      await stopStrays(svc, found, timeoutMs);
      emit({ type: 'log', level: 'info', message: `service ${svc.name} is already running` });
      return;
    }
    // a stray of the release to start is the service itself, its pidfile lost: adopt it, stop the rest
    const adopt = want ? found.find((p) => p.version === want) : undefined;
    await stopStrays(
      svc,
      found.filter((p) => p !== adopt),
      timeoutMs,
    );
    if (adopt) {
      children.delete(svc.name); // not our child: its exit status cannot be known here
      await fs.mkdir(path.dirname(f.pid), { recursive: true });
      await writePidfile(f.pid, { pid: adopt.pid, startTime: adopt.startTime });
      emit({ type: 'log', level: 'warn', message: `service ${svc.name} ${want} was running without a pidfile (pid ${adopt.pid}): adopted it` });
      return;
    }
    if (svc.cwd && !(await exists(svc.cwd))) {
      throw failure(
        'SERVICE_START_FAILED',
        `Cannot start service "${svc.name}": its working directory ${svc.cwd} does not exist.`,
        'Check that the release of the service is installed (resume the install).',
      );
    }
    const env = { ...process.env, ...svc.env };
    if (!findExecutable(svc.exec[0], env, svc.cwd)) {
      throw failure('SERVICE_START_FAILED', `Cannot start service "${svc.name}": ${svc.exec[0]} was not found.`, 'Check the exec path of the service in the bundle and that its release is installed.');
    }
    await fs.mkdir(path.dirname(f.log), { recursive: true });
    await fs.mkdir(path.dirname(f.pid), { recursive: true });
    const log = await fs.open(f.log, 'a', 0o640);
    const logStart = (await log.stat()).size;
    let gated: ReturnType<typeof spawnGated>;
    let exited: Promise<Exit>;
    try {
      gated = spawnGated(svc.exec, { cwd: svc.cwd, env, out: log.fd });
      // listen before any await: a program that dies at once may exit before we look
      exited = new Promise<Exit>((resolve) => gated.child.once('exit', (code, signal) => resolve({ code, signal })));
      await new Promise<void>((resolve, reject) => {
        gated.child.once('spawn', resolve);
        gated.child.once('error', (e: NodeJS.ErrnoException) =>
          reject(failure('SERVICE_START_FAILED', `Cannot start service "${svc.name}": /bin/sh failed (${e.code ?? e.message}).`, 'uphop starts services through /bin/sh; check that it exists.', e)),
        );
      });
    } finally {
      await log.close();
    }
    const pid = gated.child.pid!;
    // durable before the service runs: an installer killed from here on leaves a pidfile naming it
    await writePidfile(f.pid, { pid, startTime: await startTimeOf(pid) });
    await gated.open();
    gated.child.unref();
    await gated.execed(2_000);
    const exit = await Promise.race([exited, sleep(crashWaitMs).then(() => null)]);
    if (exit) {
      await removePidfile(f.pid);
      const lines = tailText(await logTail(f.log, logStart), ' without writing to its log');
      throw failure('SERVICE_CRASHED', `Service "${svc.name}" ${describeExit(exit)} right after it started${lines}`, `Read ${f.log}, fix the cause, then resume or roll back.`);
    }
    children.set(svc.name, exited);
    emit({ type: 'log', level: 'info', message: `service ${svc.name} started (pid ${pid})` });
  }

  async function stop(svc: ServiceSpec, stopOpts: StopOptions = {}): Promise<void> {
    const f = files(svc);
    children.delete(svc.name);
    const rec = await live(f.pid);
    const timeoutMs = stopOpts.timeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
    await stopStrays(svc, await strays(svc, rec), timeoutMs);
    if (!rec) return;
    await terminate(svc, rec, timeoutMs);
    await removePidfile(f.pid);
    emit({ type: 'log', level: 'info', message: `service ${svc.name} stopped` });
  }

  async function processes(svc: ServiceSpec): Promise<ServiceProcess[]> {
    const rec = await live(files(svc).pid);
    const all = await findServiceProcesses(opts.root, opts.product, [svc.name]);
    const out: ServiceProcess[] = all.map((p) => ({ pid: p.pid, version: p.version, tracked: !!rec && (p.pid === rec.pid || p.pgrp === rec.pid) }));
    if (rec && !out.some((p) => p.tracked)) out.unshift({ pid: rec.pid, tracked: true });
    return out;
  }

  /** a pidfile read and a /proc read while it runs; code and signal only for a child of this process */
  async function exitOf(svc: ServiceSpec): Promise<ServiceExit | undefined> {
    const f = files(svc);
    if (await live(f.pid)) return undefined;
    const child = children.get(svc.name);
    const exit = child && (await Promise.race([child, sleep(EXIT_EVENT_WAIT_MS).then(() => null)]));
    return { code: exit?.code ?? null, signal: exit?.signal ?? null, log: f.log, tail: await logTail(f.log) };
  }

  return {
    start,
    stop,
    status: async (svc) => ((await live(files(svc).pid)) ? 'running' : 'stopped'),
    exitOf,
    processes,
  };
}
