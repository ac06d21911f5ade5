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

export interface ServiceDriver {
  /** start it; a no-op when it already runs; throws SERVICE_CRASHED when it dies right away */
  start(svc: ServiceSpec): Promise<void>;
  /** stop it; a no-op when it is not running */
  stop(svc: ServiceSpec, opts?: StopOptions): Promise<void>;
  status(svc: ServiceSpec): Promise<ServiceStatus>;
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
