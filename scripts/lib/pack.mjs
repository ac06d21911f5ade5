/**
 * Packs the Beacon Manager components: one esbuild bundle per program per version
 * (BEACON_VERSION injected), staged with package.json (+ better_sqlite3.node), archived
 * as a reproducible tgz whose entries sit at the top level:
 *   artifacts/beacon-rest-<v>.tgz    server.js  better_sqlite3.node  package.json
 *   artifacts/beacon-worker-<v>.tgz  worker.js  better_sqlite3.node  package.json
 *   artifacts/beacon-agent-<v>.tgz   agent.js   package.json
 * An archive newer than every source is kept as is (the tests and the demo pack often).
 */
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PRODUCT_VERSIONS, PROGRAMS } from '../../product/versions.mjs';
import { bundleNodeProgram } from './node-bundle.mjs';
import { sha256File, sourceDate, writeReproducibleTgz } from './tarball.mjs';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SOURCES = ['product', 'scripts/lib', 'scripts/pack-components.mjs', 'package-lock.json'];

export const packageFileName = (component, version) => `${PROGRAMS[component].pkg}-${version}.tgz`;

async function newestMtime(p) {
  const s = await stat(p).catch(() => null);
  if (!s) return 0;
  if (!s.isDirectory()) return s.mtimeMs;
  const times = await Promise.all((await readdir(p)).map((e) => newestMtime(path.join(p, e))));
  return Math.max(s.mtimeMs, ...times);
}

async function packOne(component, version, outDir, mtime) {
  const prog = PROGRAMS[component];
  const stage = await mkdtemp(path.join(os.tmpdir(), `beacon-pack-${component}-`));
  try {
    await bundleNodeProgram({
      entry: path.join(PROJECT_ROOT, prog.entry),
      outFile: path.join(stage, prog.main),
      define: { BEACON_VERSION: version },
      nativeSqlite: prog.nativeSqlite,
      absWorkingDir: PROJECT_ROOT,
    });
    const pkg = { name: prog.pkg, version, private: true, type: 'commonjs', main: prog.main };
    await writeFile(path.join(stage, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
    return await writeReproducibleTgz({ cwd: stage, files: await readdir(stage), outFile: path.join(outDir, packageFileName(component, version)), mtime });
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

/**
 * @param {{ outDir?: string, versions?: string[], components?: string[], force?: boolean, onPacked?: (r: PackResult) => void }} [opts]
 * @returns {Promise<PackResult[]>} PackResult = { component, version, file, sha256, skipped }
 */
export async function packComponents({ outDir = path.join(PROJECT_ROOT, 'artifacts'), versions = PRODUCT_VERSIONS, components = Object.keys(PROGRAMS), force = false, onPacked = () => {} } = {}) {
  for (const v of versions) if (!PRODUCT_VERSIONS.includes(v)) throw new Error(`unknown Beacon version ${v}; known: ${PRODUCT_VERSIONS.join(', ')}`);
  for (const c of components) if (!PROGRAMS[c]) throw new Error(`unknown component ${c}; known: ${Object.keys(PROGRAMS).join(', ')}`);
  await mkdir(outDir, { recursive: true });
  const sourcesAt = Math.max(...(await Promise.all(SOURCES.map((s) => newestMtime(path.join(PROJECT_ROOT, s))))));
  const mtime = sourceDate();
  const jobs = versions.flatMap((version) => components.map((component) => ({ component, version })));
  const results = [];
  // two at a time: esbuild is quick, the machine is small
  const run = async () => {
    for (let job = jobs.shift(); job; job = jobs.shift()) {
      const file = path.join(outDir, packageFileName(job.component, job.version));
      const existing = await stat(file).catch(() => null);
      const skipped = !force && !!existing && existing.mtimeMs > sourcesAt;
      const sha256 = skipped ? await sha256File(file) : await packOne(job.component, job.version, outDir, mtime);
      const result = { ...job, file, sha256, skipped };
      results.push(result);
      onPacked(result);
    }
  };
  await Promise.all([run(), run()]);
  return results.sort((a, b) => a.file.localeCompare(b.file));
}
