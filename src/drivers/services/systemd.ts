/** Services managed by systemd: the unit files are the site's; uphop only starts, stops and asks. */
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { failure } from '../../errors.js';
import { silent } from '../../events.js';
import { run, runChecked } from '../exec.js';
import type { ServiceDriver, ServiceDriverOptions, ServiceExit, ServiceSpec, StopOptions } from './types.js';

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

  /**
   * Only a unit that is "failed" or "inactive" has ended: one that crashed and waits
   * for its Restart= is "activating", and systemd brings it back by itself.
   */
  async function exitOf(svc: ServiceSpec): Promise<ServiceExit | undefined> {
    const unit = unitOf(svc);
    const r = await run([systemctl, 'show', '--property=ActiveState,ExecMainCode,ExecMainStatus', unit]);
    if (r.code !== 0) return undefined; // cannot tell: the health checks decide
    const p = Object.fromEntries(r.stdout.split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()]));
    if (p.ActiveState !== 'failed' && p.ActiveState !== 'inactive') return undefined;
    const status = Number(p.ExecMainStatus);
    // ExecMainCode is the kernel's si_code: 1 exited (status = code), 2 killed, 3 dumped core (status = signal)
    const code = p.ExecMainCode === '1' ? status : null;
    const signal = p.ExecMainCode === '2' || p.ExecMainCode === '3' ? (Object.entries(os.constants.signals).find(([, n]) => n === status)?.[0] ?? `signal ${status}`) : null;
    return { code, signal, log: `journalctl -u ${unit}`, tail: [] };
  }

  return { start, stop, status, exitOf };
}
