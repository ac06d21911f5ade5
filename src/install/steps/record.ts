/**
 * Record the new version in state.json (after its health checks passed: it is
 * known good). This is the install's commit point (commit.ts): the version and the
 * hop's history record are one atomic write. Its undo is the rollback's commit,
 * which the engine writes once every other step is undone.
 */
import type { InstalledState } from '../state.js';
import { commitInstall } from '../commit.js';
import type { InstallContext } from '../context.js';
import type { InstallStep } from '../step.js';
import { renderConfigs } from './configs.js';

export async function newState(ctx: InstallContext): Promise<Omit<InstalledState, 'history'>> {
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
  };
}

export const recordVersion: InstallStep = {
  name: 'record version',
  async apply(ctx) {
    await commitInstall(ctx, await newState(ctx));
    return `${ctx.manifest.product} ${ctx.manifest.to}`;
  },
};
