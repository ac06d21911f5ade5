/** components[] and configs[] of a hop spec. */
import path from 'node:path';
import semver from 'semver';
import type { PackageType, ServiceDef } from '../bundle/manifest.js';
import type { SpecComponent, SpecConfig } from './types.js';
import { checkComponentPackage, checkRender, checkTemplateFile, type ValidationScope } from './checks.js';
import { badDest } from './paths.js';
import { checkServiceProgram } from './package-contents.js';
import type { FieldPath, ProblemList } from './problems.js';
import { isMapping, list, mapping, str, stringList } from './shape.js';
import { SAMPLE_ROOT, serviceValues } from './values.js';

export const NAME = /^[a-z][a-z0-9-]*$/;
export const PACKAGE_TYPES: readonly PackageType[] = ['tarball', 'deb', 'rpm'];
const COMPONENT = {
  known: ['name', 'version', 'package', 'type', 'service'],
  required: ['name', 'version', 'package', 'type'],
  example: { name: 'api', version: '4.1.1', package: '${artifacts}/acme-api-4.1.1.tgz', type: 'tarball' },
};
const SERVICE = { known: ['exec', 'env', 'unit'], required: ['exec'], example: { exec: '["${node}", "${release}/server.js"]' } };
const CONFIG = { known: ['template', 'dest', 'mode'], required: ['template', 'dest'], example: { template: 'templates/api.yaml.tmpl', dest: 'etc/acme/api.yaml' } };
const UNIT = /^[A-Za-z0-9:_.@-]+$/;
const MODE = /^0?[0-7]{3}$/;

/** an exact, clean semver version (no range, no "v" prefix) */
export function version(p: ProblemList, value: unknown, at: FieldPath): string | undefined {
  const v = str(p, value, at, '4.1.1');
  if (v === undefined || semver.valid(v) === v) return v;
  const clean = semver.valid(semver.coerce(v));
  p.add(at, `"${v}" is not an exact semver version`, `write MAJOR.MINOR.PATCH${clean ? `, e.g. ${clean}` : ', e.g. 4.1.1'}`);
  return undefined;
}

export async function validateComponents(s: ValidationScope, value: unknown): Promise<SpecComponent[]> {
  const out: SpecComponent[] = [];
  const seen = new Set<string>();
  const items = list(s.p, value, ['components'], '"- name: api" entries') ?? [];
  for (const [i, item] of items.entries()) {
    const at: FieldPath = ['components', i];
    const c = mapping(s.p, item, at, COMPONENT);
    if (!c) continue;
    const name = str(s.p, c.name, [...at, 'name'], 'api');
    if (name !== undefined && !NAME.test(name)) s.p.add([...at, 'name'], `component name "${name}" is not valid`, 'use lowercase letters, digits and "-", starting with a letter');
    else if (name !== undefined && seen.has(name)) s.p.add([...at, 'name'], `component name "${name}" is used twice`, 'give each component a unique name');
    if (name !== undefined) seen.add(name);
    const ver = version(s.p, c.version, [...at, 'version']);
    const type = str(s.p, c.type, [...at, 'type'], 'tarball') as PackageType | undefined;
    if (type !== undefined && !PACKAGE_TYPES.includes(type)) s.p.add([...at, 'type'], `package type "${type}" is not supported`, `use one of ${PACKAGE_TYPES.join(', ')}`);
    const rawPackage = str(s.p, c.package, [...at, 'package']);
    const pkg = rawPackage === undefined ? undefined : await checkComponentPackage(s, rawPackage, [...at, 'package'], type === 'tarball');
    const service = c.service === undefined ? undefined : validateService(s, c.service, [...at, 'service'], name ?? `component-${i}`);
    if (!(name && ver && type && pkg)) continue;
    const component: SpecComponent = { name, version: ver, type, package: pkg.file, ...(pkg.folder ? { folder: true } : {}), ...(service ? { service } : {}) };
    await checkServiceProgram(s, component, at);
    out.push(component);
  }
  return out;
}

function validateService(s: ValidationScope, value: unknown, at: FieldPath, component: string): ServiceDef | undefined {
  const m = mapping(s.p, value, at, SERVICE);
  if (!m) return undefined;
  const vars = s.vars && { ...s.vars, ...serviceValues(SAMPLE_ROOT, s.product, component) };
  const exec = stringList(s.p, m.exec, [...at, 'exec'], '["${node}", "${release}/server.js"]');
  if (exec && exec.length === 0) s.p.add([...at, 'exec'], 'exec is empty', 'write the program and its arguments, e.g. ["${node}", "${release}/server.js"]');
  else if (exec) checkRender(s, exec, [...at, 'exec'], vars);
  let env: Record<string, string> | undefined;
  if (m.env !== undefined) {
    if (!isMapping(m.env)) s.p.add([...at, 'env'], 'env must be a mapping of variable names to values', 'write env: { NAME: value }');
    else {
      env = {};
      for (const [k, v] of Object.entries(m.env)) {
        if (['string', 'number', 'boolean'].includes(typeof v)) env[k] = String(v);
        else s.p.add([...at, 'env', k], `env ${k} must be a single value`, 'write a text, number or boolean value');
      }
      checkRender(s, env, [...at, 'env'], vars);
    }
  }
  const unit = str(s.p, m.unit, [...at, 'unit'], `${s.product}-${component}`);
  if (unit !== undefined && !UNIT.test(unit)) s.p.add([...at, 'unit'], `unit "${unit}" is not a valid systemd unit name`, 'use letters, digits and ":_.@-" only');
  if (!exec?.length) return undefined;
  return { exec, ...(env ? { env } : {}), ...(unit ? { unit } : {}) };
}

export async function validateConfigs(s: ValidationScope, value: unknown): Promise<SpecConfig[]> {
  const out: SpecConfig[] = [];
  const dests = new Set<string>();
  for (const [i, item] of (list(s.p, value, ['configs'], '"- template: templates/x.tmpl" entries') ?? []).entries()) {
    const at: FieldPath = ['configs', i];
    const c = mapping(s.p, item, at, CONFIG);
    if (!c) continue;
    const raw = str(s.p, c.template, [...at, 'template'], 'templates/api.yaml.tmpl');
    const template = raw === undefined ? undefined : await checkTemplateFile(s, raw, [...at, 'template'], s.vars);
    let dest = str(s.p, c.dest, [...at, 'dest'], 'etc/acme/api.yaml');
    const bad = dest === undefined ? undefined : badDest(dest);
    if (bad) s.p.add([...at, 'dest'], `dest "${dest}" ${bad}`, 'write a relative path under the manager root, e.g. etc/acme/api.yaml');
    else if (dest !== undefined) {
      dest = path.posix.normalize(dest.replace(/\\/g, '/'));
      if (dests.has(dest)) s.p.add([...at, 'dest'], `dest "${dest}" is written by two configs`, 'give each config its own dest');
      dests.add(dest);
    }
    const modeExample = typeof c.mode === 'number' ? `0${String(c.mode).padStart(3, '0')}` : '0640';
    const mode = c.mode === undefined ? '0644' : str(s.p, c.mode, [...at, 'mode'], modeExample);
    if (mode !== undefined && !MODE.test(mode)) s.p.add([...at, 'mode'], `mode "${mode}" is not a file mode`, 'write an octal mode in quotes, e.g. "0640"');
    if (template && dest && !bad && mode && MODE.test(mode)) out.push({ template, dest, mode: `0${mode.slice(-3)}` });
  }
  return out;
}
