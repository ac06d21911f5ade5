/**
 * The file-system side of spec validation: files exist, packages stay inside the
 * artifacts folder (symlinks resolved), templates and placeholders render with the
 * sample values, hooks are executable. Each check reports into the ProblemList.
 */
import { constants } from 'node:fs';
import { access, readFile, realpath, stat } from 'node:fs/promises';
import { isUphopError, messageOf } from '../errors.js';
import { formatField, type FieldPath, type ProblemList } from './problems.js';
import { isInside, resolveSpecPath } from './paths.js';
import { renderDeep, renderTemplate, type TemplateValues } from './template.js';

export interface SpecScope {
  p: ProblemList;
  hopDir: string;
  projectRoot: string;
  /** absolute --artifacts folder */
  artifacts: string;
}

/** a SpecScope once the header is read: what the sample render sees */
export interface ValidationScope extends SpecScope {
  product: string;
  to: string;
  /** sample values plus the built-ins (root, product, version, node); undefined when the sample values could not be read, which skips the render checks (they would only repeat that problem) */
  vars: TemplateValues | undefined;
}

const fileInfo = (file: string) => stat(file).catch(() => undefined);

/** the package path after ${artifacts} substitution, if it is a file inside the artifacts folder */
export async function checkPackage(s: SpecScope, raw: string, path: FieldPath): Promise<string | undefined> {
  let rendered: string;
  try {
    rendered = renderTemplate(raw, { artifacts: s.artifacts }, { source: formatField(path) });
  } catch {
    s.p.add(path, `package "${raw}" uses a placeholder other than \${artifacts}`, 'write the path as ${artifacts}/<file name>');
    return undefined;
  }
  const file = resolveSpecPath(rendered, s);
  const real = await realpath(file).catch(() => undefined);
  if (!real || !(await fileInfo(real))?.isFile()) {
    const folderExists = (await fileInfo(s.artifacts))?.isDirectory();
    const hint = folderExists
      ? `build the package into ${s.artifacts} or fix the path`
      : `the artifacts folder ${s.artifacts} does not exist: pack the components first (e.g. node scripts/pack-components.mjs) or pass --artifacts DIR`;
    s.p.add(path, `package file ${file} does not exist`, hint);
    return undefined;
  }
  const artifactsReal = await realpath(s.artifacts).catch(() => s.artifacts);
  if (!isInside(real, artifactsReal)) {
    s.p.add(path, `package ${file} is outside the artifacts folder ${s.artifacts}`, 'packages must come from the artifacts folder: write ${artifacts}/<file name> (a symlink pointing out of it is refused too)');
    return undefined;
  }
  return file;
}

/** the absolute path of a spec file reference, if it exists as a file */
export async function checkFile(s: SpecScope, raw: string, path: FieldPath, what: string): Promise<string | undefined> {
  const file = resolveSpecPath(raw, s);
  const info = await fileInfo(file);
  if (info?.isFile()) return file;
  s.p.add(path, `${what} ${file} ${info ? 'is not a file' : 'does not exist'}`, `create it or fix the path (relative paths start at the project root ${s.projectRoot}; "./" at the hop folder)`);
  return undefined;
}

/** a template file that exists and renders with `values`; returns its absolute path */
export async function checkTemplateFile(s: SpecScope, raw: string, path: FieldPath, values: TemplateValues | undefined, what = 'template', note = " (the sample render uses the spec's sample_values)"): Promise<string | undefined> {
  const file = await checkFile(s, raw, path, what);
  if (!file || !values) return file;
  try {
    renderTemplate(await readFile(file, 'utf8'), values, { source: file });
  } catch (e) {
    if (isUphopError(e)) s.p.add(path, e.message, `${e.hint ?? 'fix the template'}${note}`, file);
    else s.p.add(path, `${what} ${file} cannot be read: ${messageOf(e)}`, 'make it a readable UTF-8 text file', file);
  }
  return file;
}

export async function checkHook(s: SpecScope, raw: string, path: FieldPath): Promise<string | undefined> {
  const file = await checkFile(s, raw, path, 'hook script');
  if (!file) return undefined;
  const executable = await access(file, constants.X_OK).then(() => true, () => false);
  if (!executable) s.p.add(path, `hook script ${file} is not executable`, `run: chmod +x ${file}`);
  return file;
}

/** `value` with every placeholder rendered with the sample values, or undefined (reported) when one is missing */
export function checkRender<T>(s: SpecScope, value: T, path: FieldPath, values: TemplateValues | undefined): T | undefined {
  if (!values) return undefined;
  try {
    return renderDeep(value, values, { source: formatField(path) });
  } catch (e) {
    s.p.add(path, messageOf(e), `${isUphopError(e) && e.hint ? e.hint : 'fix the placeholder'} (checked with the spec's sample_values)`);
    return undefined;
  }
}
