/**
 * The services and health checks of a version, rendered for this manager: the new
 * ones from the bundle's manifest, the old ones from state.json (what the previous
 * install recorded), so a rollback stops, starts and checks the right programs.
 */
import type { HealthCheck, ManifestComponent } from '../bundle/manifest.js';
import type { ServiceSpec } from '../drivers/services/index.js';
import { renderDeep } from '../spec/template.js';
import { serviceValues } from '../spec/values.js';
import type { InstallContext } from './context.js';

export type Side = 'old' | 'new';

interface Unitset {
  version: string;
  components: Record<string, Pick<ManifestComponent, 'version' | 'service'>>;
  order: string[];
  health: HealthCheck[];
}

function unitset(ctx: InstallContext, side: Side): Unitset | undefined {
  if (side === 'old') {
    const p = ctx.prev;
    return p && { version: p.version, components: p.components, order: p.services.order, health: p.services.health };
  }
  const m = ctx.manifest;
  return { version: m.to, components: Object.fromEntries(m.components.map((c) => [c.name, c])), order: m.services.order, health: m.services.health };
}

const varsFor = (ctx: InstallContext, version: string) => ({ ...ctx.vars, version });

/** services in start order */
export function serviceSpecs(ctx: InstallContext, side: Side): ServiceSpec[] {
  const u = unitset(ctx, side);
  if (!u) return [];
  return u.order.flatMap((name) => {
    const svc = u.components[name]?.service;
    if (!svc) return [];
    const vars: Record<string, unknown> = { ...varsFor(ctx, u.version), ...serviceValues(ctx.root, ctx.manifest.product, name) };
    const r = renderDeep(svc, vars, { source: `service ${name}` });
    return [{ name, exec: r.exec, env: r.env, unit: r.unit, cwd: vars.release as string }];
  });
}

export function healthChecks(ctx: InstallContext, side: Side): HealthCheck[] {
  const u = unitset(ctx, side);
  if (!u) return [];
  return u.health.map((h, i) => renderDeep(h, varsFor(ctx, u.version), { source: `services.health[${i}]` }));
}
