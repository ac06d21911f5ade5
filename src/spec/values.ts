/**
 * Site values (docs/values.md): templates see every key, so only the keys uphop
 * itself reads are checked. Used for the sample values of a spec and, by the
 * installer, for --values.
 */
import type { Problem } from '../errors.js';
import { isDuration, DURATION_HINT } from './duration.js';
import { formatField, type FieldPath } from './problems.js';
import type { TemplateValues } from './template.js';

export const DB_CLIENTS = ['sqlite', 'pg', 'mysql'] as const;
export const SERVICE_DRIVERS = ['process', 'systemd'] as const;

/** where the sample render of a spec pretends the manager lives */
export const SAMPLE_ROOT = '/opt/sample-root';
export const SAMPLE_NODE = '/usr/bin/node';

const isMapping = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export function validateValues(values: unknown, file: string): Problem[] {
  const problems: Problem[] = [];
  const add = (path: FieldPath, message: string, hint: string) => problems.push({ file, field: formatField(path), message, hint });
  if (!isMapping(values)) {
    add([], 'the values must be a mapping of keys', 'write key: value pairs, e.g. "rest_port: 8080"');
    return problems;
  }
  const { db, services } = values;
  if (db !== undefined) {
    if (!isMapping(db)) add(['db'], 'db must be a mapping', 'write db: { client: sqlite, connection: {...} }');
    else {
      if (db.client !== undefined && !DB_CLIENTS.includes(db.client as never)) {
        add(['db', 'client'], `db.client "${String(db.client)}" is not supported`, `use one of ${DB_CLIENTS.join(', ')}`);
      }
      if (db.connection !== undefined && !isMapping(db.connection)) {
        add(['db', 'connection'], 'db.connection must be a mapping', 'write filename (sqlite) or host, port, user, password, database (or url)');
      }
    }
  }
  if (services !== undefined) {
    if (!isMapping(services)) add(['services'], 'services must be a mapping', 'write services: { driver: process }');
    else {
      if (services.driver !== undefined && !SERVICE_DRIVERS.includes(services.driver as never)) {
        add(['services', 'driver'], `services.driver "${String(services.driver)}" is not supported`, `use one of ${SERVICE_DRIVERS.join(', ')}`);
      }
      if (services.stop_timeout !== undefined && !isDuration(services.stop_timeout)) {
        add(['services', 'stop_timeout'], 'services.stop_timeout is not a duration', DURATION_HINT);
      }
    }
  }
  return problems;
}

/** the built-in template variables every template sees, on the target and in the sample render */
export function builtinValues(opts: { root: string; product: string; version: string; node: string }): TemplateValues {
  return { root: opts.root, product: opts.product, version: opts.version, node: opts.node };
}

/** built-ins of service.exec / service.env: the component's current release folder and its name */
export function serviceValues(root: string, product: string, component: string): TemplateValues {
  return { release: `${root.replace(/\/$/, '')}/opt/${product}/${component}/current`, component };
}
