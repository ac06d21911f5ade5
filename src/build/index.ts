/**
 * `uphop build`: hop spec(s) in, one verified-on-write bundle per hop out.
 * Validate everything first (spec problems exit 2 before any file is written),
 * hash every input (streaming, bounded), then write the archive, re-hashing
 * while copying so a file that changed mid-build cannot slip through.
 */
import path from 'node:path';
import { createHash, createPublicKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { usageError } from '../errors.js';
import { silent, type Emit } from '../events.js';
import { bundleFileName, bundleId, type FileEntry } from '../bundle/manifest.js';
import { hashFile, writeBundle } from '../bundle/write.js';
import { fingerprint, loadPrivateKey, signBytes } from '../bundle/sign.js';
import { sigPathOf, writeFileSignature } from '../bundle/file-sig.js';
import { loadHopSpec } from '../spec/load.js';
import type { HopSpec } from '../spec/types.js';
import { collectInputs, type BundleInput } from './collect.js';
import { makeManifest, manifestBytes, octal } from './make-manifest.js';
import { buildEpoch, type BuildEpoch } from './epoch.js';
import { renderInstallScript } from './install-sh.js';
import { packFolders } from './pack-folder.js';
import { mapLimit } from '../util/limit.js';

export interface BuildOptions {
  hops: string[];
  all?: boolean;
  /** with --all: the project holding bundles/ (default cwd) */
  project?: string;
  artifacts?: string;
  out: string;
  signKey?: string;
  /** deflate level for compressible files (1-9) */
  level?: number;
  installerDir?: string;
  env?: NodeJS.ProcessEnv;
  emit?: Emit;
}

export interface BuiltBundle {
  id: string;
  path: string;
  sha256: string;
  size: number;
  files: number;
  signed: boolean;
  signer?: string;
  /** `<bundle>.tar.gz.sig`, the detached signature of the whole archive (signed builds) */
  sig?: string;
  created: string;
  reproducible: boolean;
}

export const defaultInstallerDir = () => fileURLToPath(new URL('../installer/', import.meta.url));

export async function buildBundles(opts: BuildOptions): Promise<BuiltBundle[]> {
  const emit = opts.emit ?? silent;
  const hopDirs = opts.all ? await allHops(opts.project ?? process.cwd()) : opts.hops;
  if (hopDirs.length === 0) throw usageError('NO_HOPS', 'Name at least one hop folder, or pass --all.', 'Example: uphop build bundles/4.0.1-to-4.1.1');
  // Validate every spec before writing anything, so one bad spec does not leave half the bundles.
  const specs: HopSpec[] = [];
  for (const dir of hopDirs) specs.push(await loadHopSpec(dir, { artifacts: opts.artifacts }));
  const key = opts.signKey ? await loadPrivateKey(opts.signKey) : undefined;
  await mkdir(opts.out, { recursive: true });
  const built: BuiltBundle[] = [];
  for (const spec of specs) {
    const epoch = await buildEpoch(opts.env ?? process.env, spec.projectRoot);
    built.push(await buildOne(spec, epoch, key, opts, emit));
  }
  return built;
}

async function buildOne(spec: HopSpec, epoch: BuildEpoch, key: Awaited<ReturnType<typeof loadPrivateKey>> | undefined, opts: BuildOptions, emit: Emit): Promise<BuiltBundle> {
  const id = bundleId(spec);
  emit({ type: 'step', step: `build ${id}`, status: 'begin' });
  const started = Date.now();
  const installSh = await renderInstallScript(spec);
  const collected = await collectInputs(spec, opts.installerDir ?? defaultInstallerDir(), installSh, await packFolders(spec, epoch.date));
  const files = await hashInputs(collected.inputs, emit);
  const signer = key ? fingerprint(createPublicKey(key)) : undefined;
  const manifest = makeManifest(spec, collected, files, epoch.date, signer);
  const bytes = manifestBytes(manifest);
  const signature = key ? signBytes(bytes, key) : undefined;
  const out = path.join(opts.out, bundleFileName(spec));
  const written = await writeBundle({
    out,
    topDir: id,
    manifestBytes: bytes,
    signature,
    entries: collected.inputs.map((i) => ({ path: i.path, source: i.source, mode: i.mode, sha256: files.get(i.path)!.sha256, size: files.get(i.path)!.size })),
    mtime: epoch.date,
    level: opts.level,
    emit,
  });
  // the whole archive, checkable with openssl before extraction; its sha256 was taken while writing
  const sig = key ? await writeFileSignature(written.path, key, { sha256: written.sha256, size: written.size }) : undefined;
  // an unsigned rebuild must not leave an older build's .sig beside it (it would fail every check)
  if (!key) await rm(sigPathOf(written.path), { force: true });
  emit({ type: 'step', step: `build ${id}`, status: 'end', ms: Date.now() - started, detail: out });
  return {
    id,
    path: written.path,
    sha256: written.sha256,
    size: written.size,
    files: collected.inputs.length,
    signed: !!signature,
    signer,
    sig,
    created: manifest.created,
    reproducible: epoch.source !== 'clock',
  };
}

async function hashInputs(inputs: BundleInput[], emit: Emit): Promise<Map<string, FileEntry>> {
  const files = new Map<string, FileEntry>();
  let done = 0;
  await mapLimit(inputs, 4, async (i) => {
    const h = 'file' in i.source ? await hashFile(i.source.file) : hashData(i.source.data);
    files.set(i.path, { sha256: h.sha256, size: h.size, mode: octal(i.mode) });
    emit({ type: 'progress', task: 'hash', done: ++done, total: inputs.length, unit: 'items' });
  });
  return files;
}

function hashData(data: Buffer) {
  return { sha256: createHash('sha256').update(data).digest('hex'), size: data.length };
}

async function allHops(project: string): Promise<string[]> {
  const dir = path.join(project, 'bundles');
  if (!existsSync(dir)) throw usageError('NO_BUNDLES_DIR', `--all looks for hop folders in ${dir}, which does not exist.`, 'Run it from the project root, or pass --project DIR.');
  const names = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory() && existsSync(path.join(dir, d.name, 'bundle.yaml')));
  return names.map((d) => path.join(dir, d.name)).sort();
}
