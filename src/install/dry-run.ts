/** --dry-run: every step with what it would do, computed without changing anything. */
import type { InstallContext } from './context.js';
import { configAction, renderConfigs } from './steps/configs.js';
import { runnerOf } from './steps/migrate.js';
import { hopMigrations } from './phases.js';
import { INSTALL_STEPS } from './steps/index.js';
import { healthChecks, serviceSpecs } from './units.js';
import { previewWaves, type WavePreview } from '../agents/preview.js';
import { agentSettings } from '../agents/registry.js';

export interface DryRunPlan {
  steps: string[];
  components: { name: string; from?: string; to: string; file: string }[];
  migrations: { name: string; phase: string }[];
  configs: { dest: string; action: 'write' | 'unchanged' | 'keep-site-edit (new one as .new)' }[];
  stop: string[];
  start: string[];
  health: string[];
  /** waves: the fleet as the DB lists it now (undefined before the manager's first install); skip: --no-agents */
  agents: { version: string; rollout: unknown; waves?: WavePreview[]; skip: boolean } | null;
}

export async function dryRunPlan(ctx: InstallContext): Promise<DryRunPlan> {
  const m = ctx.manifest;
  // no database file yet (a fresh SQLite install): every migration is pending
  const pending = !m.migrations.length ? [] : ctx.hasDatabase() ? await runnerOf(ctx).pending() : hopMigrations(m);
  const configs: DryRunPlan['configs'] = [];
  for (const c of await renderConfigs(ctx)) {
    const action = await configAction(ctx, c);
    configs.push({ dest: c.dest, action: action === 'keep-site-edit' ? 'keep-site-edit (new one as .new)' : action });
  }
  const rollout = !!m.agents && ctx.opts.agents !== false;
  const waves = rollout && ctx.hasDatabase() ? await previewWaves(ctx.db(), agentSettings(ctx.values).table, m.agents!) : undefined;
  return {
    steps: ['verify', 'preflight', 'lock', ...INSTALL_STEPS.map((s) => s.name), 'unlock', ...(rollout ? ['agent rollout'] : []), 'notify'],
    components: m.components.map((c) => ({ name: c.name, from: ctx.prev?.components[c.name]?.version, to: c.version, file: c.file })),
    migrations: pending.map((p) => ({ name: p.name, phase: p.phase })),
    configs,
    stop: serviceSpecs(ctx, 'old')
      .reverse()
      .map((s) => s.name),
    start: serviceSpecs(ctx, 'new').map((s) => s.name),
    health: healthChecks(ctx, 'new').map((h) => `${h.name}: ${h.http ?? h.tcp ?? h.command?.join(' ')}`),
    agents: m.agents ? { version: m.agents.version, rollout: m.agents.rollout, waves, skip: !rollout } : null,
  };
}
