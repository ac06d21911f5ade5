/**
 * The file-system side of spec validation: files exist, packages stay inside the
 * artifacts folder (symlinks resolved), templates and placeholders render with the
 * sample values, hooks are executable. Each check reports into the ProblemList.
 */
import { constants, existsSync } from 'node:fs';
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
  /** the sample values file (sample_values, or the default path, which may not exist) */
  sampleFile?: string;
}

/** how a render problem's hint ends: which file the missing key goes into */
const sampleNote = (s: SpecScope): string => {
  const file = (s as Partial<ValidationScope>).sampleFile;
  return file ? ` (checked with the sample values ${file}${existsSync(file) ? '' : ', which does not exist: create it or set sample_values'})` : " (checked with the spec's sample_values)";
};

const fileInfo = (file: string) => stat(file).catch(() => undefined);

/** the problem lists that already say the artifacts folder is missing */
const missingArtifacts = new WeakSet<ProblemList>();

/** the package path after ${artifacts} substitution, if it is a file inside the artifacts folder */
export async function checkPackage(s: SpecScope, raw: string, path: FieldPath): Promise<string | undefined> {
  return (await checkComponentPackage(s, raw, path, false))?.file;
}

/**
 * A component's package: a file inside the artifacts folder, or (folders allowed:
 * type tarball) a folder inside the project or the artifacts folder that the build
 * packs itself (src/build/pack-folder.ts). Symlinks are resolved before either check.
 */
export async function checkComponentPackage(s: SpecScope, raw: string, path: FieldPath, folders: boolean): Promise<{ file: string; folder: boolean } | undefined> {
  let rendered: string;
  try {
    rendered = renderTemplate(raw, { artifacts: s.artifacts }, { source: formatField(path) });
  } catch {
    s.p.add(path, `package "${raw}" uses a placeholder other than \${artifacts}`, 'write the path as ${artifacts}/<file name>');
    return undefined;
  }
  const file = resolveSpecPath(rendered, s);
  const real = await realpath(file).catch(() => undefined);
  const info = real ? await fileInfo(real) : undefined;
  const artifactsReal = await realpath(s.artifacts).catch(() => s.artifacts);
  if (info?.isDirectory() && folders) {
    const projectReal = await realpath(s.projectRoot).catch(() => s.projectRoot);
    if (isInside(real!, artifactsReal) || isInside(real!, projectReal)) return { file, folder: true };
    s.p.add(
      path,
      `package folder ${file} is outside the project ${s.projectRoot} and the artifacts folder`,
      'keep the component folder inside the project (e.g. components/<name>) or point package: at a .tgz in the artifacts folder',
    );
    return undefined;
  }
  if (!info?.isFile()) {
    const folderExists = (await fileInfo(s.artifacts))?.isDirectory();
    // one missing artifacts folder is one problem, not one per package
    if (!folderExists && !info && isInside(file, s.artifacts)) {
      if (!missingArtifacts.has(s.p))
        s.p.add(
          path,
          `the artifacts folder ${s.artifacts} does not exist, so package ${file} (and any other in it) is missing`,
          `build your component packages into ${s.artifacts}, pass --artifacts DIR, or point a tarball component's package: at its folder for uphop to pack`,
        );
      missingArtifacts.add(s.p);
      return undefined;
    }
    const kind = info?.isDirectory() ? `package ${file} is a folder, which only a tarball component may be` : `package file ${file} does not exist`;
    const hint = info?.isDirectory()
      ? 'set type: tarball to have uphop pack the folder, or point package: at the package file'
      : folderExists
        ? `build the package into ${s.artifacts} or fix the path`
        : `the artifacts folder ${s.artifacts} does not exist: build your component packages into it, pass --artifacts DIR, or point a tarball component's package: at its folder for uphop to pack`;
    s.p.add(path, kind, hint);
    return undefined;
  }
  if (!isInside(real!, artifactsReal)) {
    s.p.add(
      path,
      `package ${file} is outside the artifacts folder ${s.artifacts}`,
      'packages must come from the artifacts folder: write ${artifacts}/<file name> (a symlink pointing out of it is refused too)',
    );
    return undefined;
  }
  return { file, folder: false };
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
export async function checkTemplateFile(s: SpecScope, raw: string, path: FieldPath, values: TemplateValues | undefined, what = 'template', note = sampleNote(s)): Promise<string | undefined> {
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
  const executable = await access(file, constants.X_OK).then(
    () => true,
    () => false,
  );
  if (!executable) s.p.add(path, `hook script ${file} is not executable`, `run: chmod +x ${file}`);
  return file;
}

/** `value` with every placeholder rendered with the sample values, or undefined (reported) when one is missing */
export function checkRender<T>(s: SpecScope, value: T, path: FieldPath, values: TemplateValues | undefined): T | undefined {
  if (!values) return undefined;
  try {
    return renderDeep(value, values, { source: formatField(path) });
  } catch (e) {
    s.p.add(path, messageOf(e), `${isUphopError(e) && e.hint ? e.hint : 'fix the placeholder'}${sampleNote(s)}`);
    return undefined;
  }
}
