/** Stop the old services, start the new ones, check health: with the undo of each. */
import { fmtList } from './util.js';
import { parseDuration } from '../../spec/duration.js';
import { failure, isUphopError, messageOf, type UphopError } from '../../errors.js';
import { serviceLogFile } from '../../drivers/layout.js';
import { logTail } from '../../drivers/services/logtail.js';
import { healthWhileRunning } from '../health-watch.js';
import { refuseForeignPorts, withPortHolders } from '../port-holders.js';
import type { InstallContext } from '../context.js';
import type { InstallStep } from '../step.js';
import { healthChecks, serviceSpecs, type Side } from '../units.js';

/** --stop-timeout, else the site values' services.stop_timeout (validated with the values), else 15 s */
export const stopTimeout = (ctx: Pick<InstallContext, 'opts' | 'values'>) => {
  const fromValues = (ctx.values.services as { stop_timeout?: string } | undefined)?.stop_timeout;
  return { timeoutMs: ctx.opts.stopTimeoutMs ?? (fromValues === undefined ? 15_000 : parseDuration(fromValues)) };
};

export async function stopAll(ctx: InstallContext, side: Side): Promise<string[]> {
  const specs = serviceSpecs(ctx, side).reverse();
  for (const s of specs) await ctx.services.stop(s, stopTimeout(ctx));
  return specs.map((s) => s.name);
}

const portContext = (ctx: InstallContext, side: Side) => ({
  root: ctx.root,
  product: ctx.manifest.product,
  checks: healthChecks(ctx, side),
  next: `run "uphop resume${ctx.root === '/' ? '' : ` --root ${ctx.root}`}" or roll back`,
});

export async function startAll(ctx: InstallContext, side: Side): Promise<string[]> {
  const specs = serviceSpecs(ctx, side);
  if (specs.length) await refuseForeignPorts(portContext(ctx, side));
  try {
    for (const s of specs) await ctx.services.start(s, stopTimeout(ctx));
  } catch (e) {
    throw await withPortHolders(e, portContext(ctx, side));
  }
  return specs.map((s) => s.name);
}

export async function checkHealth(ctx: InstallContext, side: Side): Promise<string> {
  const watched = { driver: ctx.services, specs: serviceSpecs(ctx, side), checks: healthChecks(ctx, side), emit: ctx.emit };
  const results = await healthWhileRunning(watched).catch(async (e) => {
    throw (await exitedService(ctx, side, e)) ?? (await withPortHolders(e, portContext(ctx, side)));
  });
  return fmtList(results.map((r) => `${r.name} ${r.observation}`));
}

/** a health check timed out: explained by a service that has exited since it started, with the end of its log */
async function exitedService(ctx: InstallContext, side: Side, cause: unknown): Promise<UphopError | undefined> {
  if (isUphopError(cause) && cause.code === 'SERVICE_CRASHED') return undefined; // it already says so
  for (const s of serviceSpecs(ctx, side)) {
    if ((await ctx.services.status(s).catch(() => 'running')) === 'running') continue;
    const log = serviceLogFile(ctx.root, ctx.manifest.product, s.name);
    const tail = await logTail(log);
    const lines = tail.length ? `; the last lines of its log:\n${tail.map((l) => `  ${l}`).join('\n')}` : '';
    return failure('SERVICE_CRASHED', `Service "${s.name}" exited after it started (${messageOf(cause).replace(/\.$/, '')})${lines}`, `Read ${log}, fix the cause, then resume or roll back.`, cause);
  }
  return undefined;
}

export const stopServices: InstallStep = {
  name: 'stop services',
  apply: async (ctx) => fmtList(await stopAll(ctx, 'old')),
  // the old version comes back only after every later step was undone, so its services start last
  undo: async (ctx) => {
    const started = await startAll(ctx, 'old');
    if (started.length) return `${fmtList(started)}; ${await checkHealth(ctx, 'old')}`;
  },
};

export const startServices: InstallStep = {
  name: 'start services',
  apply: async (ctx) => fmtList(await startAll(ctx, 'new')),
  undo: async (ctx) => fmtList(await stopAll(ctx, 'new')),
};

export const healthCheck: InstallStep = {
  name: 'health checks',
  apply: (ctx) => checkHealth(ctx, 'new'),
};
