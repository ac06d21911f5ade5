/** Service drivers: `process` (embedded default) or `systemd`. */
import { usageError } from '../../errors.js';
import { processDriver } from './process.js';
import { systemdDriver } from './systemd.js';
import type { ServiceDriver, ServiceDriverKind, ServiceDriverOptions } from './types.js';

export type { ServiceDriver, ServiceDriverKind, ServiceDriverOptions, ServiceExit, ServiceProcess, ServiceSpec, ServiceStatus, StopOptions } from './types.js';

export function createServiceDriver(kind: ServiceDriverKind, opts: ServiceDriverOptions): ServiceDriver {
  if (kind === 'process') return processDriver(opts);
  if (kind === 'systemd') return systemdDriver(opts);
  throw usageError('UNKNOWN_SERVICE_DRIVER', `There is no service driver "${String(kind)}".`, 'Use "process" or "systemd".');
}
