/** services (order, health checks), agents (package, rollout) and hooks of a hop spec. */
import type { HealthCheck, RolloutPolicy } from '../bundle/manifest.js';
import type { HopSpec } from './types.js';
import { checkHook, checkPackage, checkRender, type ValidationScope } from './checks.js';
import { DURATION_HINT, isDuration, parseDuration } from './duration.js';
import type { FieldPath } from './problems.js';
import { integer, list, mapping, str, stringList } from './shape.js';
import { version } from './validate-components.js';

export const HOOK_NAMES = ['preflight', 'pre-install', 'post-install', 'seed', 'verify'] as const;
/** names reserved for hooks uphop does not run yet: refused, so that nobody ships one that silently never runs */
const NOT_RUN_HOOKS: readonly string[] = ['pre-install', 'post-install'];
const SERVICES = { known: ['order', 'health'] };
const HEALTH = { known: ['name', 'http', 'tcp', 'command', 'status', 'body', 'timeout'], required: ['name'], example: { name: 'api' } };
const AGENTS = { known: ['package', 'version', 'rollout'], required: ['package'], example: { package: '${artifacts}/acme-agent-4.1.1.tgz' } };
const ROLLOUT = { known: ['canary', 'batch', 'delay', 'max_failures', 'timeout', 'retries', 'concurrency', 'pause', 'max_consecutive_failures'] };
const PROBES = ['http', 'tcp', 'command'] as const;

/** served: the components with a service: block (only those can be started) */
export function validateServices(s: ValidationScope, value: unknown, components: string[], served: string[] = components): HopSpec['services'] {
  const m = value === undefined ? {} : mapping(s.p, value, ['services'], SERVICES);
  const order = stringList(s.p, m?.order, ['services', 'order'], '[api, worker]') ?? [];
  order.forEach((name, i) => {
    if (!components.includes(name))
      s.p.add(
        ['services', 'order', i],
        `services.order names "${name}", which is not a component`,
        components.length ? `use one of ${components.join(', ')}` : 'add the component to components first',
      );
    else if (order.indexOf(name) !== i) s.p.add(['services', 'order', i], `"${name}" is listed twice in services.order`, 'list each service once');
    else if (!served.includes(name))
      s.p.add(
        ['services', 'order', i],
        `services.order starts "${name}", but that component has no service: block, so nothing would start`,
        `add service: { exec: [program, args...] } to component ${name}, or remove it from services.order`,
      );
  });
  // a malformed order is reported above; a missing one is the newcomer's mistake this catches
  if (m?.order === undefined || Array.isArray(m.order)) {
    for (const name of served) {
      if (!order.includes(name))
        s.p.add(
          ['services', 'order'],
          `component ${name} has a service: block but services.order does not list it, so it would never start`,
          `add ${name} to services.order (services start in that order), or remove its service: block`,
        );
    }
  }
  const health: HealthCheck[] = [];
  const names = new Set<string>();
  for (const [i, item] of (list(s.p, m?.health, ['services', 'health'], '"- name: api" entries') ?? []).entries()) {
    const check = validateHealth(s, item, ['services', 'health', i]);
    if (check && names.has(check.name)) s.p.add(['services', 'health', i, 'name'], `health check name "${check.name}" is used twice`, 'give each health check a unique name');
    if (check) names.add(check.name), health.push(check);
  }
  const starts = order.some((n) => served.includes(n));
  health.forEach((h, i) => {
    if (!starts && (h.http || h.tcp))
      s.p.add(
        ['services', 'health', i],
        `health check ${h.name} waits for ${h.http ?? h.tcp}, but services.order starts no service, so it could only time out`,
        served.length ? `list the service in services.order: ${served.join(', ')}` : 'give the component that answers it a service: block and list it in services.order, or remove the check',
      );
  });
  return { order, health };
}

function validateHealth(s: ValidationScope, value: unknown, at: FieldPath): HealthCheck | undefined {
  const h = mapping(s.p, value, at, HEALTH);
  if (!h) return undefined;
  const name = str(s.p, h.name, [...at, 'name'], 'api');
  const probes = PROBES.filter((k) => h[k] !== undefined);
  if (probes.length !== 1) {
    s.p.add(
      at,
      probes.length ? `health check has ${probes.join(' and ')}; it must have exactly one` : 'health check has no http, tcp or command',
      'give it exactly one of http: URL, tcp: "host:port" or command: [argv]',
    );
  }
  const check: HealthCheck = { name: name ?? '' };
  const http = str(s.p, h.http, [...at, 'http'], 'http://127.0.0.1:${http_port}/health');
  if (http !== undefined) {
    check.http = http;
    const url = checkRender(s, http, [...at, 'http'], s.vars);
    if (url !== undefined && !/^https?:$/.test(URL.canParse(url) ? new URL(url).protocol : ''))
      s.p.add([...at, 'http'], `http "${url}" is not an http(s) URL`, 'write e.g. http://127.0.0.1:${http_port}/health');
  }
  const tcp = str(s.p, h.tcp, [...at, 'tcp'], '127.0.0.1:${queue_port}');
  if (tcp !== undefined) {
    check.tcp = tcp;
    const addr = checkRender(s, tcp, [...at, 'tcp'], s.vars);
    const port = addr === undefined ? undefined : Number(/^.+:(\d+)$/.exec(addr)?.[1]);
    if (port !== undefined && !(port >= 1 && port <= 65535)) s.p.add([...at, 'tcp'], `tcp "${addr}" is not host:port`, 'write e.g. "127.0.0.1:${queue_port}"');
  }
  const command = stringList(s.p, h.command, [...at, 'command'], '["${node}", "-e", "process.exit(0)"]');
  if (command?.length === 0) s.p.add([...at, 'command'], 'command is empty', 'write the program and its arguments as a list');
  else if (command) (check.command = command), checkRender(s, command, [...at, 'command'], s.vars);
  const status = integer(s.p, h.status, [...at, 'status'], { min: 100, max: 599 });
  const body = str(s.p, h.body, [...at, 'body'], '"version":"4.1.1"');
  if ((status !== undefined || body !== undefined) && http === undefined) s.p.add(at, 'status and body apply to http checks only', 'remove them or make the check an http check');
  if (body !== undefined && isRegex(body) && !compiles(body)) s.p.add([...at, 'body'], `body ${body} is not a valid regular expression`, 'fix the /regex/ or write a plain substring');
  if (status !== undefined) check.status = status;
  if (body !== undefined) check.body = body;
  const timeout = duration(s, h.timeout, [...at, 'timeout'], true);
  if (timeout !== undefined) check.timeout = timeout;
  return name === undefined ? undefined : check;
}

const isRegex = (body: string) => body.length > 1 && body.startsWith('/') && body.endsWith('/');
const compiles = (body: string) => {
  try {
    return Boolean(new RegExp(body.slice(1, -1)));
  } catch {
    return false;
  }
};

function duration(s: ValidationScope, value: unknown, at: FieldPath, positive = false): string | undefined {
  const text = str(s.p, value, at, '60s');
  if (text === undefined) return undefined;
  if (!isDuration(text)) s.p.add(at, `"${text}" is not a duration`, DURATION_HINT);
  else if (positive && parseDuration(text) === 0) s.p.add(at, `${String(at[at.length - 1])} must be longer than 0`, DURATION_HINT);
  else return text;
  return undefined;
}

/** a share of the fleet: "N%" with N from 0 to 100, or a whole number of agents */
function share(s: ValidationScope, value: unknown, at: FieldPath): string | number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  const m = typeof value === 'string' ? /^(\d+(?:\.\d+)?)%$/.exec(value.trim()) : null;
  if (m && Number(m[1]) <= 100) return value as string;
  s.p.add(at, `${String(at[at.length - 1])} must be a percentage from 0% to 100% or a whole number of agents, got ${JSON.stringify(value)}`, 'write e.g. 10% (quoted or not) or 5');
  return undefined;
}

export async function validateAgents(s: ValidationScope, value: unknown): Promise<HopSpec['agents']> {
  const a = mapping(s.p, value, ['agents'], AGENTS);
  if (!a) return undefined;
  const raw = str(s.p, a.package, ['agents', 'package']);
  const pkg = raw === undefined ? undefined : await checkPackage(s, raw, ['agents', 'package']);
  const ver = a.version === undefined ? s.to : version(s.p, a.version, ['agents', 'version']);
  const r = a.rollout === undefined ? {} : mapping(s.p, a.rollout, ['agents', 'rollout'], ROLLOUT);
  const rollout: RolloutPolicy = {};
  if (r) {
    const at = (k: string): FieldPath => ['agents', 'rollout', k];
    const set = <K extends keyof RolloutPolicy>(k: K, v: RolloutPolicy[K] | undefined) => {
      if (v !== undefined) rollout[k] = v;
    };
    set('canary', share(s, r.canary, at('canary')));
    set('batch', integer(s.p, r.batch, at('batch'), { min: 1 }));
    set('delay', duration(s, r.delay, at('delay')));
    set('max_failures', share(s, r.max_failures, at('max_failures')));
    set('timeout', duration(s, r.timeout, at('timeout'), true));
    set('retries', integer(s.p, r.retries, at('retries'), { min: 0 }));
    set('concurrency', integer(s.p, r.concurrency, at('concurrency'), { min: 1, max: 10_000 }));
    set('max_consecutive_failures', integer(s.p, r.max_consecutive_failures, at('max_consecutive_failures'), { min: 1 }));
    if (r.pause !== undefined && typeof r.pause !== 'boolean') s.p.add(at('pause'), `pause must be true or false, got ${JSON.stringify(r.pause)}`, 'write pause: true');
    else set('pause', r.pause as boolean | undefined);
  }
  return pkg && ver ? { package: pkg, version: ver, rollout } : undefined;
}

export async function validateHooks(s: ValidationScope, value: unknown): Promise<Record<string, string>> {
  const hooks: Record<string, string> = {};
  const m = value === undefined ? undefined : mapping(s.p, value, ['hooks'], { known: HOOK_NAMES });
  for (const [name, raw] of Object.entries(m ?? {})) {
    if (!(HOOK_NAMES as readonly string[]).includes(name)) continue;
    // a hook that is shipped but never run would fail silently on the customer's manager
    if (NOT_RUN_HOOKS.includes(name)) {
      s.p.add(['hooks', name], `the ${name} hook is not run by this version of uphop`, 'remove it: do the work in a "pre" or "post" migration, or check the host in the preflight hook');
      continue;
    }
    const script = str(s.p, raw, ['hooks', name], 'hooks/check-disk.sh');
    const file = script === undefined ? undefined : await checkHook(s, script, ['hooks', name]);
    if (file) hooks[name] = file;
  }
  return hooks;
}
