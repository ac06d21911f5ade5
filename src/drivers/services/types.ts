/** What the installer asks of a service manager; the exec argv is already rendered. */
import type { Emit } from '../../events.js';

export interface ServiceSpec {
  name: string;
  exec: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** systemd unit name; defaults to <product>-<name> */
  unit?: string;
}

export type ServiceStatus = 'running' | 'stopped';

export interface StopOptions {
  /** how long to wait after SIGTERM (or `systemctl stop`) before killing; default 10s */
  timeoutMs?: number;
}

/** a running process of a service: `tracked` when uphop's record (pidfile, unit) names it */
export interface ServiceProcess {
  pid: number;
  version?: string;
  tracked: boolean;
}

/** how a service that was running has ended, as far as its driver can tell */
export interface ServiceExit {
  /** both null when the driver cannot tell (a process another uphop run started) */
  code: number | null;
  signal: string | null;
  /** where its output went: a log file, or the command that shows it */
  log: string;
  /** the last lines of that log, when the driver can read them */
  tail: string[];
}

export interface ServiceDriver {
  /** start it; a no-op when it already runs; throws SERVICE_CRASHED when it dies right away */
  start(svc: ServiceSpec, opts?: StopOptions): Promise<void>;
  /** stop it; a no-op when it is not running */
  stop(svc: ServiceSpec, opts?: StopOptions): Promise<void>;
  status(svc: ServiceSpec): Promise<ServiceStatus>;
  /**
   * undefined while it runs, or will run again by itself (a systemd unit waiting to
   * restart); else how it ended. Cheap enough to poll a few times a second.
   */
  exitOf?(svc: ServiceSpec): Promise<ServiceExit | undefined>;
  /** the service's processes, also those no record names (process driver only) */
  processes?(svc: ServiceSpec): Promise<ServiceProcess[]>;
}

export type ServiceDriverKind = 'process' | 'systemd';

export interface ServiceDriverOptions {
  root: string;
  product: string;
  /** how long start watches for an immediate crash; default 300 ms */
  crashWaitMs?: number;
  /** systemd driver: path of systemctl; default "systemctl" from PATH */
  systemctl?: string;
  emit?: Emit;
}
