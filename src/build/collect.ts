/**
 * What goes into a bundle for a validated hop spec: every file with its path
 * inside the bundle, its source on disk and its mode. Paths are chosen here once,
 * so the manifest and the archive can never disagree.
 */
import path from 'node:path';
import { readdir } from 'node:fs/promises';
import { usageError } from '../errors.js';
import type { HopSpec } from '../spec/types.js';

export interface BundleInput {
  /** posix path inside the bundle's top folder */
  path: string;
  source: { file: string } | { data: Buffer };
  mode: number;
}

export interface Collected {
  inputs: BundleInput[];
  componentFiles: Map<string, string>; // component name -> bundle path
  configFiles: string[]; // bundle path per spec.configs entry
  migrationFiles: string[]; // bundle path per spec.migrations entry
  agentFile?: string;
  hookFiles: Record<string, string>;
}

const FILE = 0o644;
const EXEC = 0o755;

/** packed: component name -> the tarball uphop packed from its folder (pack-folder.ts) */
export async function collectInputs(spec: HopSpec, installerDir: string, installSh: Buffer, packed: Map<string, Buffer> = new Map()): Promise<Collected> {
  const inputs: BundleInput[] = [];
  const taken = new Map<string, string>();
  const add = (p: string, file: string, mode: number) => {
    const prev = taken.get(p);
    if (prev !== undefined && prev !== file) {
      throw usageError('SPEC_PATH_CLASH', `Two files of ${spec.file} would both be bundled as ${p}: ${prev} and ${file}.`, 'Rename one of them.');
    }
    if (prev === undefined) inputs.push({ path: p, source: { file }, mode });
    taken.set(p, file);
    return p;
  };

  const componentFiles = new Map<string, string>();
  for (const c of spec.components) {
    const data = packed.get(c.name);
    if (!data) componentFiles.set(c.name, add(`components/${path.basename(c.package)}`, c.package, FILE));
    else {
      const p = `components/${c.name}-${c.version}.tgz`;
      if (taken.has(p)) throw usageError('SPEC_PATH_CLASH', `Two files of ${spec.file} would both be bundled as ${p}.`, 'Rename the package file that has this name.');
      inputs.push({ path: p, source: { data }, mode: FILE });
      taken.set(p, c.package);
      componentFiles.set(c.name, p);
    }
  }
  const configFiles = spec.configs.map((c) => add(`configs/${path.basename(c.template)}`, c.template, FILE));
  const migrationFiles = spec.migrations.map((m) => add(`migrations/${m.version}/${path.basename(m.file)}`, m.file, FILE));
  const agentFile = spec.agents ? add(`agents/${path.basename(spec.agents.package)}`, spec.agents.package, FILE) : undefined;
  const hookFiles: Record<string, string> = {};
  for (const [name, file] of Object.entries(spec.hooks)) hookFiles[name] = add(`hooks/${path.basename(file)}`, file, EXEC);

  inputs.push({ path: 'install.sh', source: { data: installSh }, mode: EXEC });
  for (const name of await listInstaller(installerDir)) {
    add(`installer/${name}`, path.join(installerDir, name), name.endsWith('.cjs') ? EXEC : FILE);
  }
  return { inputs, componentFiles, configFiles, migrationFiles, agentFile, hookFiles };
}

async function listInstaller(dir: string): Promise<string[]> {
  try {
    const names = (await readdir(dir)).filter((n) => !n.endsWith('.map')).sort();
    if (names.some((n) => n.endsWith('.cjs'))) return names;
  } catch {
    // reported below
  }
  throw usageError('NO_INSTALLER', `The bundled installer is missing from ${dir}.`, 'Run npm run build first (npm ci does it).');
}
