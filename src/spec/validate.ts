/**
 * Validation of a parsed hop spec: every field is checked and every problem is
 * collected (never only the first), then load.ts throws them together.
 */
import semver from 'semver';
import { isUphopError } from '../errors.js';
import type { HopSpec, SpecMigration } from './types.js';
import { checkTemplateFile, type SpecScope, type ValidationScope } from './checks.js';
import { inHop, issuesToProblems, scanMigrations } from './migrations.js';
import { resolveSpecPath } from './paths.js';
import { loadSampleValues } from './sample-values.js';
import { mapping, str } from './shape.js';
import { NAME, validateComponents, validateConfigs, version } from './validate-components.js';
import { validateAgents, validateHooks, validateServices } from './validate-services.js';
import { validateTestPath } from './validate-test-path.js';
import { SAMPLE_NODE, SAMPLE_ROOT, builtinValues } from './values.js';

export const SPEC_KEYS = ['product', 'from', 'to', 'sample_values', 'install_script', 'components', 'configs', 'migrations', 'services', 'agents', 'hooks', 'test_path'] as const;
const TOP = { known: SPEC_KEYS, required: ['product', 'from', 'to', 'components'], example: { product: 'acme', from: '4.0.1', to: '4.1.1', components: '[...]' } };
export const DEFAULT_SAMPLE_VALUES = 'templates/values.sample.yaml';

export interface SpecInput extends SpecScope {
  file: string;
}

/** the HopSpec of a parsed bundle.yaml, or undefined when it has problems (all of them in input.p) */
export async function validateHopSpec(doc: unknown, input: SpecInput): Promise<HopSpec | undefined> {
  const { p } = input;
  const top = mapping(p, doc, [], TOP);
  if (!top) return undefined;
  const product = str(p, top.product, ['product'], 'acme');
  if (product !== undefined && !NAME.test(product)) p.add(['product'], `product name "${product}" is not valid`, 'use lowercase letters, digits and "-", starting with a letter, e.g. acme');
  const { from, to } = versions(input, top.from, top.to);
  const sampleValues = await loadSampleValues(input, top.sample_values, DEFAULT_SAMPLE_VALUES);
  const s: ValidationScope = {
    ...input,
    product: product ?? 'product',
    to: to ?? '0.0.0',
    vars: sampleValues && { ...sampleValues, ...builtinValues({ root: SAMPLE_ROOT, product: product ?? 'product', version: to ?? '0.0.0', node: SAMPLE_NODE }) },
    sampleFile: resolveSpecPath(typeof top.sample_values === 'string' ? top.sample_values : DEFAULT_SAMPLE_VALUES, input),
  };
  const components = await validateComponents(s, top.components);
  const configs = await validateConfigs(s, top.configs);
  const migrations = await validateMigrations(s, top.migrations, from, to);
  const raw = (Array.isArray(top.components) ? top.components : []) as { name?: unknown; service?: unknown }[];
  const names = raw.map((c) => c?.name).filter((n): n is string => typeof n === 'string');
  const served = raw
    .filter((c) => c?.service !== undefined)
    .map((c) => c.name)
    .filter((n): n is string => typeof n === 'string');
  const services = validateServices(s, top.services, names, served);
  const agents = top.agents === undefined ? undefined : await validateAgents(s, top.agents);
  const hooks = await validateHooks(s, top.hooks);
  const testPath = validateTestPath(p, top.test_path);
  const installScript = await validateInstallScript(s, top.install_script, { product: s.product, from: from ?? 'none', to: s.to, version: s.to });
  if (p.count || !product || !from || !to) return undefined;
  const { file, hopDir, projectRoot } = input;
  return {
    file,
    hopDir,
    projectRoot,
    product,
    from,
    to,
    components,
    configs,
    migrations,
    services,
    ...(agents ? { agents } : {}),
    hooks,
    ...(testPath ? { testPath } : {}),
    ...(installScript ? { installScript } : {}),
    sampleValues: sampleValues ?? {},
  };
}

function versions(s: SpecScope, rawFrom: unknown, rawTo: unknown): { from?: string; to?: string } {
  let from = str(s.p, rawFrom, ['from'], '4.0.1');
  if (from !== undefined && from !== 'none' && semver.valid(from) !== from && !semver.validRange(from)) {
    s.p.add(['from'], `from "${from}" is not a semver version, range or "none"`, 'write an exact version (4.0.1), a range (">=4.0.0 <4.1.0") or "none" for a fresh install');
    from = undefined;
  }
  const to = version(s.p, rawTo, ['to']);
  if (from && to && from !== 'none' && !semver.gtr(to, from)) {
    const range = semver.valid(from) !== from;
    s.p.add(
      ['to'],
      `to ${to} is not above from ${from}`,
      range ? 'to must be higher than every version the from range matches (its upper bound)' : 'to must be a higher version than from; swap them if reversed',
    );
  }
  return { from, to };
}

async function validateMigrations(s: ValidationScope, value: unknown, from?: string, to?: string): Promise<SpecMigration[]> {
  const raw = str(s.p, value, ['migrations'], 'schema-migrations');
  if (raw === undefined) return [];
  const folder = resolveSpecPath(raw, s);
  try {
    const { migrations, issues } = await scanMigrations(folder);
    s.p.items.push(...issuesToProblems(issues));
    return from && to ? migrations.filter((m) => inHop(m.version, from, to)) : [];
  } catch (e) {
    if (!isUphopError(e)) throw e;
    s.p.add(['migrations'], e.message, e.hint ?? 'fix the migrations path');
    return [];
  }
}

/** the product's own install.sh template, when the spec names one (else the bundle gets uphop's, src/build/install-sh.ts) */
async function validateInstallScript(s: ValidationScope, value: unknown, vars: Record<string, string>): Promise<string | undefined> {
  const raw = str(s.p, value, ['install_script'], 'templates/install.sh.tmpl');
  if (raw === undefined) return undefined;
  return checkTemplateFile(s, raw, ['install_script'], vars, 'install script template', ' (install.sh sees product, from, to and version)');
}
