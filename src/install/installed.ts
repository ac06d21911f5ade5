/**
 * The installed version's services and health checks, rendered from state.json and
 * the site values (as the install rendered them): what `status` looks at and
 * `uphop services` starts and stops.
 */
import type { HealthCheck } from '../bundle/manifest.js';
import type { Emit } from '../events.js';
import { createServiceDriver, type ServiceDriver, type ServiceDriverKind, type ServiceSpec } from '../drivers/services/index.js';
import { renderDeep } from '../spec/template.js';
import { serviceValues } from '../spec/values.js';
import type { Layout } from './layout.js';
import type { InstalledState } from './state.js';
import { readValuesFile, type Values } from './values.js';

export interface InstalledServices {
  driverKind: ServiceDriverKind;
  driver: ServiceDriver;
  /** in start order */
  specs: ServiceSpec[];
  health: HealthCheck[];
  values: Values;
}

export async function installedServices(L: Layout, state: InstalledState, emit?: Emit): Promise<InstalledServices> {
  const values = await readValuesFile(L.values(state.product)).catch(() => ({}) as Values);
  const driverKind = ((values.services as { driver?: ServiceDriverKind } | undefined)?.driver ?? 'process') as ServiceDriverKind;
  const driver = createServiceDriver(driverKind, { root: L.root, product: state.product, emit });
  const vars = { ...values, root: L.root, product: state.product, version: state.version, node: process.execPath };
  const specs = state.services.order.flatMap((name) => {
    const svc = state.components[name]?.service;
    if (!svc) return [];
    const v: Record<string, unknown> = { ...vars, ...serviceValues(L.root, state.product, name) };
    const r = renderDeep(svc, v, { source: `service ${name}` });
    return [{ name, exec: r.exec, env: r.env, unit: r.unit, cwd: v.release as string }];
  });
  const health = state.services.health.map((h, i) => renderDeep(h, vars, { source: `services.health[${i}]` }));
  return { driverKind, driver, specs, health, values };
}
