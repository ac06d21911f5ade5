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

export interface ServiceDriver {
  /** start it; a no-op when it already runs; throws SERVICE_CRASHED when it dies right away */
  start(svc: ServiceSpec, opts?: StopOptions): Promise<void>;
  /** stop it; a no-op when it is not running */
  stop(svc: ServiceSpec, opts?: StopOptions): Promise<void>;
  status(svc: ServiceSpec): Promise<ServiceStatus>;
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
