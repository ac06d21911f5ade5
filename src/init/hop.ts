/**
 * `uphop init --hop FROM TO`: bundles/FROM-to-TO/ as a copy of the last hop folder
 * (the one with the highest `to`, which must be FROM), with from and to set and the
 * components (and agents) that were at FROM's version moved to TO. The copy keeps
 * the spec's comments and shares its migrations folder; hop-local files ("./")
 * are copied along.
 */
import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import YAML, { isMap, isSeq, type YAMLMap } from 'yaml';
import { usageError } from '../errors.js';
import { exactVersion } from './versions.js';

export interface HopResult {
  dir: string;
  copiedFrom: string;
  from: string;
  to: string;
  /** components whose version moved to `to` */
  bumped: string[];
}

interface Hop {
  dir: string;
  to: string;
}

async function hops(bundles: string): Promise<Hop[]> {
  const names = await readdir(bundles).catch(() => {
    throw usageError(
      'INIT_NO_BUNDLES',
      `${bundles} does not exist, so there is no hop to copy.`,
      'Run uphop init --hop in a project made by uphop init (or pass its folder), or start one with uphop init --product NAME.',
    );
  });
  const out: Hop[] = [];
  for (const name of names) {
    const file = path.join(bundles, name, 'bundle.yaml');
    if (!existsSync(file)) continue;
    const to = (YAML.parse(await readFile(file, 'utf8')) as { to?: unknown } | null)?.to;
    if (typeof to === 'string' && semver.valid(to) === to) out.push({ dir: path.join(bundles, name), to });
  }
  return out.sort((a, b) => semver.compare(a.to, b.to));
}

/** a package file named after the version (acme-server-1.0.0.tgz) is the next version's file too */
function bumpPackage(m: YAMLMap, from: string, to: string): void {
  const pkg = m.get('package');
  if (typeof pkg === 'string' && pkg.includes(from)) m.set('package', pkg.split(from).join(to));
}

export async function addHop(project: string, rawFrom: string, rawTo: string): Promise<HopResult> {
  const from = exactVersion(rawFrom, 'FROM');
  const to = exactVersion(rawTo, 'TO');
  if (!semver.gt(to, from))
    throw usageError('INIT_HOP_ORDER', `TO ${to} is not above FROM ${from}.`, 'Write the version the hop starts from, then the higher one it installs: uphop init --hop 1.0.0 1.1.0');
  const bundles = path.join(path.resolve(project), 'bundles');
  const all = await hops(bundles);
  const last = all[all.length - 1];
  if (!last) throw usageError('INIT_NO_BUNDLES', `${bundles} holds no hop folder with a valid bundle.yaml to copy.`, 'Start the project with uphop init --product NAME.');
  if (last.to !== from)
    throw usageError('INIT_HOP_GAP', `The last hop (${path.basename(last.dir)}) ends at ${last.to}, not ${from}.`, `Run uphop init --hop ${last.to} ${to}, so every version has a way up.`);
  const dir = path.join(bundles, `${from}-to-${to}`);
  if (existsSync(dir)) throw usageError('INIT_HOP_EXISTS', `${dir} already exists.`, 'Edit it, or remove it first to start it again from the last hop.');
  const file = path.join(dir, 'bundle.yaml');
  await cp(last.dir, dir, { recursive: true, errorOnExist: true, force: false });
  const doc = YAML.parseDocument(await readFile(file, 'utf8'));
  doc.set('from', from);
  doc.set('to', to);
  const bumped: string[] = [];
  const components = doc.get('components');
  if (isSeq(components)) {
    for (const c of components.items) {
      if (!isMap(c) || String(c.get('version')) !== from) continue;
      c.set('version', to);
      bumpPackage(c, from, to);
      bumped.push(String(c.get('name')));
    }
  }
  const agents = doc.get('agents');
  if (isMap(agents) && (agents.get('version') === undefined || String(agents.get('version')) === from)) {
    if (agents.get('version') !== undefined) agents.set('version', to);
    bumpPackage(agents, from, to);
  }
  // lineWidth 0: keep the spec's one-line lists (exec) as they were written
  await writeFile(file, doc.toString({ lineWidth: 0, flowCollectionPadding: false }));
  return { dir, copiedFrom: last.dir, from, to, bumped };
}
