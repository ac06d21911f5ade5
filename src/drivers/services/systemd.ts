/** Services managed by systemd: the unit files are the site's; uphop only starts, stops and asks. */
import { setTimeout as sleep } from 'node:timers/promises';
import { failure } from '../../errors.js';
import { silent } from '../../events.js';
import { run, runChecked } from '../exec.js';
import type { ServiceDriver, ServiceDriverOptions, ServiceSpec, StopOptions } from './types.js';

export function systemdDriver(opts: ServiceDriverOptions): ServiceDriver {
  const emit = opts.emit ?? silent;
  const systemctl = opts.systemctl ?? 'systemctl';
  const crashWaitMs = opts.crashWaitMs ?? 300;
  const unitOf = (svc: ServiceSpec) => svc.unit ?? `${opts.product}-${svc.name}`;

  async function status(svc: ServiceSpec) {
    // is-active exits 0 only for "active"; activating/failed/inactive are all "not running"
    const r = await run([systemctl, 'is-active', '--quiet', unitOf(svc)]);
    return r.code === 0 ? ('running' as const) : ('stopped' as const);
  }

  async function start(svc: ServiceSpec) {
    const unit = unitOf(svc);
    await runChecked([systemctl, 'start', unit], 'SERVICE_START_FAILED', `systemctl start ${unit}`);
    // Type=simple units report success before the program had a chance to fail
    await sleep(crashWaitMs);
    if ((await status(svc)) !== 'running') {
      throw failure('SERVICE_CRASHED', `Service "${svc.name}" (unit ${unit}) stopped right after it started.`, `Read \`journalctl -u ${unit}\`, fix the cause, then resume or roll back.`);
    }
    emit({ type: 'log', level: 'info', message: `unit ${unit} started` });
  }

  async function stop(svc: ServiceSpec, stopOpts: StopOptions = {}) {
    const unit = unitOf(svc);
    // systemd escalates to SIGKILL itself after the unit's TimeoutStopSec; this bounds our wait
    const r = await run([systemctl, 'stop', unit], { timeout: stopOpts.timeoutMs ?? 90_000 });
    if (r.code !== 0 && (await status(svc)) === 'running') {
      throw failure('SERVICE_STOP_FAILED', `systemctl stop ${unit} failed and the unit is still active.`, `Run \`systemctl status ${unit}\` to see why.`);
    }
    emit({ type: 'log', level: 'info', message: `unit ${unit} stopped` });
  }

  return { start, stop, status };
}
