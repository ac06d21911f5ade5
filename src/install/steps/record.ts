/** Record the new version in state.json (after its health checks passed: it is known good). */
import { rm } from 'node:fs/promises';
import { readState, writeState, type InstalledState } from '../state.js';
import type { InstallContext } from '../context.js';
import type { InstallStep } from '../step.js';
import { renderConfigs } from './configs.js';

export async function newState(ctx: InstallContext): Promise<InstalledState> {
  const m = ctx.manifest;
  const configs = { ...(ctx.prev?.configs ?? {}) };
  for (const c of await renderConfigs(ctx)) configs[c.dest] = c.hash;
  return {
    product: m.product,
    version: m.to,
    components: Object.fromEntries(m.components.map((c) => [c.name, { version: c.version, type: c.type, ...(c.service ? { service: c.service } : {}) }])),
    services: m.services,
    configs,
    good: Object.fromEntries(m.components.map((c) => [c.name, c.version])),
    history: ctx.prev?.history ?? [],
  };
}

export const recordVersion: InstallStep = {
  name: 'record version',
  async apply(ctx) {
    await writeState(ctx.L.state, await newState(ctx));
    return `${ctx.manifest.product} ${ctx.manifest.to}`;
  },
  async undo(ctx) {
    // keep the history written since (a rollback of a completed hop must not erase it)
    const now = await readState(ctx.L.state);
    if (ctx.prev) await writeState(ctx.L.state, { ...ctx.prev, history: now?.history ?? ctx.prev.history });
    else await rm(ctx.L.state, { force: true });
    return `back to ${ctx.fromVersion}`;
  },
};
