/**
 * `uphop services start|stop|restart`: bring the installed version's services up or
 * down outside an install (after a crash of a service, a reboot, maintenance), with
 * the install's own start order, strays handling and health checks. Holds the
 * install lock meanwhile; refuses while an install is interrupted (resume or roll
 * back first: the installed version is not settled).
 */
import path from 'node:path';
import { refusal, usageError } from '../errors.js';
import { silent, type Emit } from '../events.js';
import { healthWhileRunning } from './health-watch.js';
import { findInterrupted } from './interrupted.js';
import { installedServices } from './installed.js';
import { layout } from './layout.js';
import { acquireLock, releaseLock } from './lock.js';
import { sweepLeftovers } from './leftovers.js';
import { refuseForeignPorts, withPortHolders } from './port-holders.js';
import { readState } from './state.js';

export type ServicesAction = 'start' | 'stop' | 'restart';

export interface ServicesResult {
  root: string;
  product: string;
  version: string;
  action: ServicesAction;
  services: string[];
  health: { name: string; observation: string }[];
  message: string;
}

const STOP_TIMEOUT_MS = 15_000;

export async function controlServices(req: { root: string; action: ServicesAction; emit?: Emit }): Promise<ServicesResult> {
  const root = path.resolve(req.root);
  const L = layout(root);
  const emit = req.emit ?? silent;
  const rf = root === '/' ? '' : ` --root ${root}`;
  const state = await readState(L.state);
  if (!state) throw usageError('NOT_INSTALLED', `Nothing is installed under ${root}: there are no services to ${req.action}.`, 'Pass the right --root, or install the fresh-install bundle first.');
  const pending = await findInterrupted(L);
  if (pending) {
    throw refusal(
      'INSTALL_INTERRUPTED',
      `An install of ${pending.id} was interrupted at step "${pending.begun.at(-1)}"; its services are not settled.`,
      `Finish it with "uphop resume${rf}" or undo it with "uphop rollback${rf}".`,
    );
  }
  await acquireLock(L.lock, `services-${req.action}`, emit, `running "uphop services ${req.action}"`);
  try {
    // after a power cut this may be the only command run: leave no temp files of a dead installer behind
    await sweepLeftovers(L, { keepStarts: true });
    const inst = await installedServices(L, state, emit);
    const next = `run "uphop services start${rf}" again`;
    if (req.action !== 'start') {
      for (const s of [...inst.specs].reverse()) await inst.driver.stop(s, { timeoutMs: STOP_TIMEOUT_MS });
    }
    let health: ServicesResult['health'] = [];
    if (req.action !== 'stop') {
      const ports = { root, product: state.product, checks: inst.health, next };
      await refuseForeignPorts(ports);
      try {
        for (const s of inst.specs) await inst.driver.start(s, { timeoutMs: STOP_TIMEOUT_MS });
        health = (await healthWhileRunning({ driver: inst.driver, specs: inst.specs, checks: inst.health, emit })).map((r) => ({ name: r.name, observation: r.observation }));
      } catch (e) {
        throw await withPortHolders(e, ports);
      }
    }
    const names = inst.specs.map((s) => s.name);
    const did = req.action === 'stop' ? 'stopped' : req.action === 'start' ? 'running' : 'restarted';
    const checks = health.length ? `; ${health.map((h) => `${h.name} ${h.observation}`).join(', ')}` : '';
    return {
      root,
      product: state.product,
      version: state.version,
      action: req.action,
      services: names,
      health,
      message: `${state.product} ${state.version}: ${names.join(', ') || 'no services'} ${did}${checks}.`,
    };
  } finally {
    await releaseLock(L.lock);
  }
}
