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
    add([], 'the values must be a mapping of keys', 'write key: value pairs, e.g. "http_port: 8080"');
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
  if (values.agents !== undefined) checkAgents(values.agents, add);
  return problems;
}

function checkAgents(agents: unknown, add: (path: FieldPath, message: string, hint: string) => void): void {
  if (!isMapping(agents)) return add(['agents'], 'agents must be a mapping', 'write agents: { token: ... }');
  if (agents.token !== undefined && (typeof agents.token !== 'string' || !agents.token))
    add(['agents', 'token'], 'agents.token must be a non-empty string', 'write the token the agents were started with');
  if (agents.table !== undefined && (typeof agents.table !== 'string' || !/^[A-Za-z_][A-Za-z0-9_.]*$/.test(agents.table))) {
    add(['agents', 'table'], 'agents.table must be a table name', 'write e.g. agents');
  }
  const hold = agents.hold_groups;
  if (hold !== undefined && !(Array.isArray(hold) && hold.every((g) => typeof g === 'string' && g.length > 0))) {
    add(['agents', 'hold_groups'], 'agents.hold_groups must be a list of group names', 'write hold_groups: [frozen, lab]');
  }
  const amqp = agents.amqp;
  if (amqp !== undefined && !(isMapping(amqp) && typeof amqp.url === 'string' && /^amqps?:\/\/[^/]/.test(amqp.url))) {
    add(['agents', 'amqp'], 'agents.amqp must be a mapping with an amqp(s):// url', 'write amqp: { url: amqp://user:password@broker:5672/vhost }');
  } else if (amqp !== undefined && amqp.exchange !== undefined && (typeof amqp.exchange !== 'string' || !/^[A-Za-z0-9_.:-]{1,255}$/.test(amqp.exchange))) {
    add(['agents', 'amqp', 'exchange'], 'agents.amqp.exchange must be an exchange name', 'write the topic exchange your agents bind to, e.g. acme.agents (default: <product>.agents)');
  }
  const serve = agents.serve;
  if (serve === undefined) return;
  if (!isMapping(serve)) return add(['agents', 'serve'], 'agents.serve must be a mapping', 'write serve: { host: 0.0.0.0, port: 8099, public_url: http://manager:8099 }');
  if (serve.host !== undefined && typeof serve.host !== 'string') add(['agents', 'serve', 'host'], 'agents.serve.host must be a host name or address', 'write e.g. 0.0.0.0');
  if (serve.port !== undefined && !(Number.isInteger(serve.port) && (serve.port as number) >= 0 && (serve.port as number) < 65536)) {
    add(['agents', 'serve', 'port'], 'agents.serve.port must be a port number', 'write e.g. 8099 (0 = any free port)');
  }
  if (serve.public_url !== undefined && !(typeof serve.public_url === 'string' && /^https?:\/\/[^/]/.test(serve.public_url))) {
    add(['agents', 'serve', 'public_url'], 'agents.serve.public_url must be an http(s) URL', 'write the address agents reach the manager at, e.g. http://manager.example:8099');
  }
}

/** the built-in template variables every template sees, on the target and in the sample render */
export function builtinValues(opts: { root: string; product: string; version: string; node: string }): TemplateValues {
  return { root: opts.root, product: opts.product, version: opts.version, node: opts.node };
}

/** built-ins of service.exec / service.env: the component's current release folder and its name */
export function serviceValues(root: string, product: string, component: string): TemplateValues {
  return { release: `${root.replace(/\/$/, '')}/opt/${product}/${component}/current`, component };
}
