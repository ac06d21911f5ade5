/**
 * `uphop test-path --from A --to B`: a sandbox manager at A (built with the
 * fresh-install bundle and the hops up to A), seeded by the product's hook, then
 * for every hop on the path: snapshot, install, verify, roll back, compare with
 * the snapshot, install again. Nothing touches a real manager.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { failure, usageError } from '../errors.js';
import { untilAborted } from '../util/abort.js';
import { silent, type Emit } from '../events.js';
import type { Manifest } from '../bundle/manifest.js';
import { install } from '../install/index.js';
import { layout } from '../install/layout.js';
import { rollback } from '../install/rollback.js';
import { plan } from '../plan/plan.js';
import type { StoreOptions } from '../store/types.js';
import type { SandboxDb } from '../sandbox/temp-db.js';
import { runCase, suspects } from './cases.js';
import { runHook } from './hooks.js';
import type { HopCase } from './junit.js';
import { createSandbox, type Sandbox } from './sandbox.js';
import { compareSnapshots, snapshot, type Snapshot } from './snapshot.js';

export interface TestPathOptions {
  from: string;
  to: string;
  bundles?: string;
  store?: string;
  storeOptions?: StoreOptions;
  trust?: string;
  allowUnsigned?: boolean;
  product?: string;
  db: SandboxDb;
  dbUrl?: string;
  /** the product's site values to start from (ports and db are replaced) */
  values?: string;
  /** a seed hook instead of the bundle's */
  seed?: string;
  rows?: number;
  /** tables the product's services keep writing (heartbeats): schema compared, rows not */
  ignoreData?: string[];
  /** dotted values keys holding a port besides those named …port */
  portKeys?: string[];
  signal?: AbortSignal;
  emit?: Emit;
}

export interface TestPathResult {
  outcome: 'passed' | 'failed';
  product: string;
  from: string;
  to: string;
  db: string;
  hops: string[];
  seeded: string;
  /** tables whose rows were not compared (the flags and the bundles' test_path.ignore_data) */
  ignoredData: string[];
  cases: HopCase[];
  ms: number;
}

/** Ctrl-C stops it at once: the sandbox's services are killed and its database and folder removed first */
export async function testPath(o: TestPathOptions): Promise<TestPathResult> {
  const made: { sb?: Sandbox; product?: string } = {};
  let interrupted = false;
  try {
    return await untilAborted(
      o.signal,
      () => run(o, made),
      () => {
        interrupted = true;
        return failure('TEST_PATH_INTERRUPTED', 'test-path was interrupted; its sandbox (services, database, files) was removed.', 'Run it again when it can run to its end.');
      },
    );
  } finally {
    if (interrupted && made.sb) await made.sb.remove({ kill: made.product }).catch(() => undefined);
  }
}

async function run(o: TestPathOptions, made: { sb?: Sandbox; product?: string }): Promise<TestPathResult> {
  const emit = o.emit ?? silent;
  const t0 = Date.now();
  const temp = o.store ? await mkdtemp(path.join(tmpdir(), 'uphop-test-path-bundles-')) : undefined;
  try {
    const dir = o.bundles ? path.resolve(o.bundles) : await fetchChains(o, temp!, emit);
    const setup = o.from === 'none' ? [] : (await plan({ from: 'none', to: o.from, bundles: dir, product: o.product })).hops;
    const chain = await plan({ from: o.from, to: o.to, bundles: dir, product: o.product });
    o = { ...o, product: chain.product };
    emit({ type: 'test-path-plan', product: chain.product, from: o.from, to: o.to, hops: chain.hops.map((h) => `${h.from} -> ${h.to}`) });
    if (!chain.hops.length) throw usageError('TEST_PATH_EMPTY', `There is no hop from ${o.from} to ${o.to}: nothing to test.`, 'Give --to a later version than --from.');
    const sb = await createSandbox({ db: o.db, dbUrl: o.dbUrl, values: o.values, portKeys: o.portKeys });
    Object.assign(made, { sb, product: chain.product });
    emit({ type: 'log', level: 'info', message: `sandbox manager in ${sb.root} on ${sb.db.label}` });
    try {
      const base = { root: sb.root, allowUnsigned: o.allowUnsigned, trust: o.trust, agents: false, emit };
      let lastId: string | undefined;
      for (const [i, h] of setup.entries()) lastId = (await install({ ...base, bundle: path.join(dir, h.file), values: i === 0 ? sb.valuesFile : undefined })).bundle;
      const seeded = await seed(o, sb, lastId, o.from, emit);
      const cases: HopCase[] = [];
      const ignored = new Set(o.ignoreData ?? []);
      let installed = lastId;
      for (const [i, h] of chain.hops.entries()) {
        const label = `${h.from} -> ${h.to}`;
        const step = `hop ${i + 1}/${chain.hops.length} ${label}`;
        emit({ type: 'step', step, status: 'begin' });
        const t = Date.now();
        const hop = await testHop(sb, { ...base, bundle: path.join(dir, h.file), values: setup.length || i ? undefined : sb.valuesFile }, label, { installed, ignored }, o, cases);
        const ok = hop.ok;
        installed = hop.id ?? installed;
        emit({
          type: 'step',
          step,
          status: ok ? 'end' : 'fail',
          ms: Date.now() - t,
          detail: ok
            ? 'up, down and up again'
            : cases
                .filter((c) => !c.ok)
                .map((c) => `${c.direction}: ${c.message}`)
                .join('; '),
        });
        if (!ok) break;
      }
      const failed = cases.some((c) => !c.ok);
      return {
        outcome: failed ? 'failed' : 'passed',
        product: chain.product,
        from: o.from,
        to: o.to,
        db: sb.db.label,
        hops: chain.hops.map((h) => `${h.from} -> ${h.to}`),
        seeded,
        ignoredData: [...ignored].sort(),
        cases,
        ms: Date.now() - t0,
      };
    } finally {
      await sb.remove();
    }
  } finally {
    if (temp) await rm(temp, { recursive: true, force: true });
  }
}

type InstallReq = Parameters<typeof install>[0];

/**
 * One hop up, down and up again. `ignored` grows with each bundle's
 * test_path.ignore_data: the installed one's before the snapshot, the new one's
 * before the comparison (its tables may be new to the path).
 */
async function testHop(sb: Sandbox, req: InstallReq, label: string, at: { installed?: string; ignored: Set<string> }, o: TestPathOptions, cases: HopCase[]): Promise<{ ok: boolean; id?: string }> {
  if (at.installed) for (const t of await ignoredBy(sb, at.installed)) at.ignored.add(t);
  const before = await snap(sb, at.ignored);
  let id = '';
  const up = await runCase(label, 'up', req.emit!, async (w) => {
    const r = await install({ ...req, emit: w.emit });
    id = r.bundle;
    await verify(sb, id, r.to, o, w.emit);
  });
  cases.push(up);
  if (!up.ok) return { ok: false };
  for (const t of await ignoredBy(sb, id)) at.ignored.add(t);
  const down = await runCase(label, 'down', req.emit!, async (w) => {
    await rollback({ root: sb.root, emit: w.emit });
    const differences = compareSnapshots(before, await snap(sb, at.ignored), at.ignored);
    if (!differences.length) return;
    const { manifest, dir } = await kept(sb, id);
    const names = await suspects(dir, manifest, differences);
    return [`the rollback left the database different from before the install: ${differences.join('; ')}`, ...differences, ...names.map((n) => `suspect: ${n}`)];
  });
  cases.push(down);
  if (!down.ok) return { ok: false, id };
  const again = await runCase(label, 'up', req.emit!, async (w) => {
    await install({ ...req, values: undefined, emit: w.emit });
  });
  if (!again.ok) Object.assign(up, { ...again, message: `installing again after the rollback failed: ${again.message}` });
  return { ok: again.ok, id };
}

/** a fresh connection each time: a restore may replace the SQLite file under an open one */
async function snap(sb: Sandbox, ignored: Set<string>): Promise<Snapshot> {
  try {
    return await snapshot(sb.knex(), { ignoreData: [...ignored] });
  } finally {
    await sb.closeDb();
  }
}

async function kept(sb: Sandbox, id: string): Promise<{ manifest: Manifest; dir: string }> {
  const dir = layout(sb.root).bundle(id);
  return { dir, manifest: JSON.parse(await readFile(path.join(dir, 'bundle.json'), 'utf8')) as Manifest };
}

async function seed(o: TestPathOptions, sb: Sandbox, id: string | undefined, version: string, emit: Emit): Promise<string> {
  const hook = o.seed ? path.resolve(o.seed) : id && (await hookOf(sb, id, 'seed'));
  if (!hook) return 'no seed hook: the hops run on an empty database';
  const out = await runProductHook('seed', hook, sb, version, o);
  emit({ type: 'log', level: 'info', message: `seeded ${version}${out ? `: ${out}` : ''}` });
  return out || `seeded with ${path.basename(hook)}`;
}

async function verify(sb: Sandbox, id: string, version: string, o: TestPathOptions, emit: Emit): Promise<void> {
  const hook = await hookOf(sb, id, 'verify');
  if (!hook) return;
  const out = await runProductHook('verify', hook, sb, version, o);
  emit({ type: 'log', level: 'info', message: `verified ${version}${out ? `: ${out}` : ''}` });
}

/** a seed or verify hook against the sandbox's database, whose connection is closed again afterwards */
async function runProductHook(name: 'seed' | 'verify', file: string, sb: Sandbox, version: string, o: TestPathOptions) {
  try {
    return await runHook({
      name,
      file,
      root: sb.root,
      product: o.product ?? '',
      version,
      values: sb.values,
      valuesFile: sb.valuesFile,
      db: sb.values.db as never,
      knex: sb.knex(),
      rows: o.rows ?? 3000,
      scrub: sb.scrub,
    });
  } finally {
    await sb.closeDb();
  }
}

async function ignoredBy(sb: Sandbox, id: string): Promise<string[]> {
  return (await kept(sb, id)).manifest.test_path?.ignore_data ?? [];
}

async function hookOf(sb: Sandbox, id: string, name: string): Promise<string | undefined> {
  const { manifest, dir } = await kept(sb, id);
  const rel = manifest.hooks?.[name];
  return rel ? path.join(dir, rel) : undefined;
}

async function fetchChains(o: TestPathOptions, out: string, emit: Emit): Promise<string> {
  const { fetchBundles } = await import('../store/fetch.js');
  const common = { store: o.store!, out, product: o.product, trust: o.trust, allowUnsigned: o.allowUnsigned, storeOptions: o.storeOptions, home: out };
  if (o.from !== 'none') await fetchBundles({ ...common, from: 'none', to: o.from }, emit);
  await fetchBundles({ ...common, from: o.from, to: o.to }, emit);
  return out;
}
