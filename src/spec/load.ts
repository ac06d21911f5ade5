/**
 * loadHopSpec: bundles/<hop>/bundle.yaml in, a validated HopSpec out (absolute
 * paths, the hop's migrations, sample values), or one SPEC_INVALID error (exit 2)
 * listing every problem with its file, field and fix.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { failure } from '../errors.js';
import type { HopSpec } from './types.js';
import { defaultProjectRoot, locateSpec } from './paths.js';
import { ProblemList } from './problems.js';
import { validateHopSpec } from './validate.js';
import { parseYaml } from './yaml.js';

export interface LoadOptions {
  /** the folder ${artifacts} points to (default <projectRoot>/artifacts) */
  artifacts?: string;
  /** the folder holding bundles/ (default: the parent of the hop's bundles/ folder) */
  projectRoot?: string;
}

/** hopDir: a hop folder holding bundle.yaml, or the path of the bundle.yaml itself */
export async function loadHopSpec(hopDir: string, opts: LoadOptions = {}): Promise<HopSpec> {
  const located = await locateSpec(hopDir);
  const projectRoot = path.resolve(opts.projectRoot ?? defaultProjectRoot(located.hopDir));
  const artifacts = path.resolve(opts.artifacts ?? path.join(projectRoot, 'artifacts'));
  const parsed = parseYaml(await readFile(located.file, 'utf8'));
  const p = new ProblemList(located.file, parsed.locate);
  for (const error of parsed.errors) p.add([], error, 'fix the YAML syntax at that line');
  const empty = !parsed.errors.length && (parsed.value === undefined || parsed.value === null);
  if (empty) p.add([], 'the spec is empty', 'write product, from, to and components (see docs/hop-spec.md)');
  const spec = p.count ? undefined : await validateHopSpec(parsed.value, { ...located, projectRoot, artifacts, p });
  const error = p.toError(displayPath(located.file));
  if (error || !spec) throw error ?? failure('SPEC_INTERNAL', `validating ${located.file} gave no spec and no problem`, 'report this as a bug in uphop');
  return spec;
}

const displayPath = (file: string): string => {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
};
