/**
 * Checks bundle.json's shape, so the installer can trust its types: every field
 * it uses has the right type, every path it names is a safe relative path, and
 * every bundle file the manifest refers to is listed (hashed) in `files`.
 * Every value that later becomes part of a path, an argument or a key (names,
 * versions, units, migration names, paths) is checked here, before any use.
 * Only own properties count (a `__proto__` or `constructor` key is just a key).
 * Unknown extra fields are allowed: newer builders may add information.
 */
import type { Problem } from '../errors.js';
import { MANIFEST_FORMAT, MANIFEST_NAME, SIGNATURE_NAME, type Manifest } from './manifest.js';
import { ENV_NAME, HOOK_NAMES, isExactVersion, isFrom, migrationNameProblem, NAME, TABLE_NAME, UNIT } from './fields.js';
import { LIMITS, limitRefusal } from './limits.js';
import { bundleRefusal } from './refusals.js';
import { isSafeRelativePath, parentDirs } from './paths.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const PERM = /^0?[0-7]{3}$/; // permission bits only: no setuid/setgid/sticky from a bundle

class Checker {
  readonly problems: Problem[] = [];
  constructor(private readonly files: Obj) {}

  fail(field: string, message: string): void {
    this.problems.push({ field, message });
  }
  str(o: Obj, key: string, at: string, pattern?: RegExp): void {
    const v = o[key];
    if (typeof v !== 'string' || v === '') this.fail(`${at}.${key}`, 'must be a non-empty string');
    else if (pattern && !pattern.test(v)) this.fail(`${at}.${key}`, `${JSON.stringify(v)} is not allowed here`);
  }
  optStr(o: Obj, key: string, at: string, pattern?: RegExp): void {
    if (o[key] !== undefined) this.str(o, key, at, pattern);
  }
  /** an exact semver version (it names a release folder) */
  version(o: Obj, key: string, at: string): void {
    if (!isExactVersion(o[key])) this.fail(`${at}.${key}`, `${JSON.stringify(o[key])} is not an exact semver version`);
  }
  strList(v: unknown, at: string): void {
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) this.fail(at, 'must be a list of strings');
  }
  oneOf(o: Obj, key: string, at: string, allowed: string[]): void {
    if (!allowed.includes(o[key] as string)) this.fail(`${at}.${key}`, `must be one of ${allowed.join(', ')}`);
  }
  /** a path inside the bundle that `files` lists */
  ref(o: Obj, key: string, at: string): void {
    const v = o[key];
    if (typeof v !== 'string' || !Object.hasOwn(this.files, v)) this.fail(`${at}.${key}`, `${JSON.stringify(v)} is not a file listed in files`);
  }
  list(o: Obj, key: string, each: (item: Obj, at: string) => void): void {
    const v = o[key];
    if (!Array.isArray(v)) return this.fail(key, 'must be a list');
    v.forEach((item, i) => (isObj(item) ? each(item, `${key}[${i}]`) : this.fail(`${key}[${i}]`, 'must be an object')));
  }
}

/** a path of the bundle or under the root: relative, inside, of bounded length, no segment JavaScript treats specially */
const isPlainPath = (p: string) => isSafeRelativePath(p) && Buffer.byteLength(p) <= LIMITS.pathBytes - 256 && !p.split('/').includes('__proto__');

function checkFiles(c: Checker, files: Obj): void {
  const paths = Object.keys(files);
  if (paths.length > LIMITS.entries) return c.fail('files', `lists ${paths.length} files, more than ${LIMITS.entries}`);
  for (const path of paths) {
    const entry = files[path];
    const at = `files[${JSON.stringify(path)}]`;
    if (!isPlainPath(path) || path === MANIFEST_NAME || path === SIGNATURE_NAME) c.fail(at, 'is not a safe relative path');
    else if (parentDirs(path).some((d) => Object.hasOwn(files, d))) c.fail(at, 'lies inside a path that is listed as a file');
    if (!isObj(entry)) {
      c.fail(at, 'must be an object');
      continue;
    }
    if (typeof entry.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(entry.sha256)) c.fail(`${at}.sha256`, 'must be 64 lowercase hex digits');
    if (!Number.isSafeInteger(entry.size) || (entry.size as number) < 0) c.fail(`${at}.size`, 'must be a byte count');
    c.str(entry, 'mode', at, PERM);
  }
}

function checkBody(c: Checker, m: Obj): void {
  c.str(m, 'created', 'manifest');
  c.str(m, 'product', 'manifest', NAME);
  if (!isFrom(m.from)) c.fail('manifest.from', `${JSON.stringify(m.from)} is not an exact semver version, a semver range or "none"`);
  c.version(m, 'to', 'manifest');
  c.optStr(m, 'signer', 'manifest');
  const names = new Set<string>();
  if (!isObj(m.platform)) c.fail('platform', 'must be an object');
  else for (const k of ['os', 'arch', 'node', 'modules']) c.str(m.platform, k, 'platform');
  c.list(m, 'components', (o, at) => {
    c.str(o, 'name', at, NAME);
    if (typeof o.name === 'string' && names.has(o.name)) c.fail(`${at}.name`, `${JSON.stringify(o.name)} is used twice`);
    if (typeof o.name === 'string') names.add(o.name);
    c.version(o, 'version', at);
    c.oneOf(o, 'type', at, ['tarball', 'deb', 'rpm']);
    c.ref(o, 'file', at);
    if (o.service === undefined) return;
    if (!isObj(o.service)) return c.fail(`${at}.service`, 'must be an object');
    c.strList(o.service.exec, `${at}.service.exec`);
    if (Array.isArray(o.service.exec) && o.service.exec.length === 0) c.fail(`${at}.service.exec`, 'must name a program');
    const env = o.service.env;
    if (env !== undefined && (!isObj(env) || Object.entries(env).some(([k, v]) => typeof v !== 'string' || !ENV_NAME.test(k)))) c.fail(`${at}.service.env`, 'must map variable names to strings');
    c.optStr(o.service, 'unit', `${at}.service`, UNIT);
  });
  c.list(m, 'configs', (o, at) => {
    c.ref(o, 'template', at);
    if (typeof o.dest !== 'string' || !isPlainPath(o.dest)) c.fail(`${at}.dest`, 'must be a safe relative path');
    c.str(o, 'mode', at, PERM);
  });
  const migrationNames = new Set<string>();
  c.list(m, 'migrations', (o, at) => {
    c.version(o, 'version', at);
    c.str(o, 'name', at);
    if (typeof o.name === 'string' && isExactVersion(o.version)) {
      const problem = migrationNameProblem(o.version, o.name);
      if (problem) c.fail(`${at}.name`, `${JSON.stringify(o.name)} ${problem}`);
      else if (migrationNames.has(o.name)) c.fail(`${at}.name`, `${JSON.stringify(o.name)} is used twice`);
      migrationNames.add(o.name);
    }
    c.ref(o, 'file', at);
    c.oneOf(o, 'phase', at, ['pre', 'main', 'post']);
  });
  if (!isObj(m.services)) c.fail('services', 'must be an object');
  else {
    c.strList(m.services.order, 'services.order');
    const order = Array.isArray(m.services.order) ? (m.services.order as unknown[]) : [];
    order.forEach((n, i) => {
      if (typeof n === 'string' && !names.has(n)) c.fail(`services.order[${i}]`, `${JSON.stringify(n)} is not a component of the bundle`);
    });
    if (new Set(order).size !== order.length) c.fail('services.order', 'names a component twice');
    c.list(m.services, 'health', (o, at) => {
      c.str(o, 'name', `services.${at}`);
      for (const k of ['http', 'body', 'tcp', 'timeout']) c.optStr(o, k, `services.${at}`);
      if (o.status !== undefined && !Number.isInteger(o.status)) c.fail(`services.${at}.status`, 'must be an integer');
      if (o.command !== undefined) c.strList(o.command, `services.${at}.command`);
    });
  }
  if (m.agents !== undefined) {
    if (!isObj(m.agents)) c.fail('agents', 'must be an object');
    else {
      c.ref(m.agents, 'file', 'agents');
      c.version(m.agents, 'version', 'agents');
      if (!isObj(m.agents.rollout)) c.fail('agents.rollout', 'must be an object');
    }
  }
  if (!isObj(m.hooks)) c.fail('hooks', 'must be an object');
  else
    for (const k of Object.keys(m.hooks)) {
      if (!HOOK_NAMES.includes(k)) c.fail(`hooks.${k}`, `is not a hook (${HOOK_NAMES.join(', ')})`);
      else c.ref(m.hooks, k, 'hooks');
    }
  if (m.test_path !== undefined) {
    if (!isObj(m.test_path)) c.fail('test_path', 'must be an object');
    else {
      c.strList(m.test_path.ignore_data, 'test_path.ignore_data');
      const tables = Array.isArray(m.test_path.ignore_data) ? (m.test_path.ignore_data as unknown[]) : [];
      tables.forEach((t, i) => {
        if (typeof t === 'string' && !TABLE_NAME.test(t)) c.fail(`test_path.ignore_data[${i}]`, `${JSON.stringify(t)} is not a table name`);
      });
    }
  }
}

/** one pass over the JSON text before JSON.parse: bounded depth and number of objects and arrays */
function checkJsonShape(bytes: Buffer, label: string): void {
  if (bytes.length > LIMITS.manifest) throw limitRefusal(label, `its bundle.json is ${bytes.length} bytes`, `${LIMITS.manifest} bytes`);
  let depth = 0;
  let containers = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > LIMITS.jsonDepth) throw limitRefusal(label, `its bundle.json nests deeper than ${LIMITS.jsonDepth} levels`, `${LIMITS.jsonDepth} levels`);
      if (++containers > LIMITS.jsonContainers) throw limitRefusal(label, `its bundle.json holds more than ${LIMITS.jsonContainers} objects and lists`, `${LIMITS.jsonContainers}`);
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
}

/** parses bundle.json's bytes and checks them; refusals name the bundle (label) */
export function parseManifest(bytes: Buffer, label: string): Manifest {
  checkJsonShape(bytes, label);
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw bundleRefusal.badManifest(label, `it is not JSON (${(e as Error).message})`);
  }
  if (!isObj(value)) throw bundleRefusal.badManifest(label, 'it is not a JSON object');
  if (typeof value.format !== 'number') throw bundleRefusal.badManifest(label, 'its format field is missing', [{ field: 'format', message: 'must be a number' }]);
  if (value.format !== MANIFEST_FORMAT) throw bundleRefusal.unsupportedFormat(label, value.format, MANIFEST_FORMAT);
  const files = isObj(value.files) ? value.files : {};
  const c = new Checker(files);
  if (!isObj(value.files)) c.fail('files', 'must be an object');
  checkFiles(c, files);
  checkBody(c, value);
  if (c.problems.length) {
    const first = c.problems[0];
    throw bundleRefusal.badManifest(label, `${first.field} ${first.message}${c.problems.length > 1 ? ` (and ${c.problems.length - 1} more problem(s))` : ''}`, c.problems);
  }
  return value as unknown as Manifest;
}
