/**
 * `uphop upgrade --to B`: on a manager, read the installed version, plan the
 * chain of hops from the store's catalog, download every bundle (resumable,
 * checked against the catalog and its signature), then install them in order
 * with the installer. The first hop that fails stops the run: install() has
 * already rolled it back, and the error says where the manager stands and how
 * to continue.
 */
import path from 'node:path';
import semver from 'semver';
import { isUphopError, refusal, usageError } from '../errors.js';
import { silent, type Emit } from '../events.js';
import type { AgentsResult } from '../agents/index.js';
import { loadPublicKey } from '../bundle/sign.js';
import { install } from '../install/index.js';
import { findInterrupted } from '../install/interrupted.js';
import { layout } from '../install/layout.js';
import { readState } from '../install/state.js';
import { canonical, planPath } from '../plan/graph.js';
import { selectProduct } from '../plan/sources.js';
import { readCatalog } from '../store/catalog-read.js';
import type { CatalogHop } from '../store/catalog.js';
import { downloadChain } from '../store/fetch.js';
import { openStore } from '../store/open.js';
import { cacheState, defaultCache, dropDownload } from './cache.js';
import { stopError } from './stop.js';
import type { HopOutcome, UpgradeOptions, UpgradeResult } from './types.js';

export type { HopOutcome, UpgradeOptions, UpgradeResult } from './types.js';

export async function upgrade(input: UpgradeOptions): Promise<UpgradeResult> {
  const t0 = Date.now();
  const emit = input.emit ?? silent;
  const root = path.resolve(input.root);
  const o: UpgradeOptions = { ...input, root };
  const L = layout(root);
  const state = await readState(L.state);
  const from = state?.version ?? 'none';
  const pending = await findInterrupted(L);
  if (pending) {
    const rf = root === '/' ? '' : ` --root ${root}`;
    throw refusal(
      'INSTALL_INTERRUPTED',
      `An install of ${pending.id} was interrupted at step "${pending.begun.at(-1)}".`,
      `Finish it with "uphop resume${rf}" or undo it with "uphop rollback${rf}", then run the upgrade again.`,
    );
  }
  const trust = o.trust ? await loadPublicKey(o.trust) : undefined;
  const cache = path.resolve(o.cache ?? defaultCache(root));
  const store = openStore(o.store, o.storeOptions);
  try {
    const { catalog } = await readCatalog(store, { trust, allowUnsigned: o.allowUnsigned, home: o.home ?? path.dirname(L.state), emit });
    const { product, hops } = selectProduct(catalog.hops, o.product ?? state?.product);
    const to = o.to === 'latest' ? latestVersion(hops) : canonical(o.to);
    const chain = planPath(hops, from, to);
    const base = { product, from, to, store: store.url, catalogVersion: catalog.version, cache };
    if (!chain.length) {
      return { ...base, outcome: 'nothing-to-do', hops: [], bytes: 0, ms: Date.now() - t0, message: `${product} ${to} is already installed: nothing to do.` };
    }
    const needsValues = chain[0].from === 'none' && !o.values;
    if (needsValues && !o.dryRun) {
      throw usageError(
        'VALUES_REQUIRED',
        `Nothing is installed under ${root}, so the upgrade starts with a fresh install, which needs the site values.`,
        'Pass --values FILE (database, service driver, ports; see docs/values.md).',
      );
    }
    const outcomes = await Promise.all(chain.map((h) => outcomeOf(h, cache)));
    emit({ type: 'upgrade-plan', product, from, to, hops: outcomes.map(({ from: f, to: t, file, size, cached }) => ({ from: f, to: t, file, size, cached })) });
    emit({ type: 'log', level: 'info', message: `plan: ${[from, ...chain.map((h) => h.to)].join(' -> ')} (${chain.length} hop${chain.length > 1 ? 's' : ''} from ${store.url})` });
    if (o.dryRun) {
      const bytes = outcomes.reduce((n, h) => n + h.size - h.cachedBytes, 0);
      return {
        ...base,
        outcome: 'dry-run',
        hops: outcomes,
        bytes,
        ms: Date.now() - t0,
        message: `dry run: nothing was downloaded or changed${needsValues ? '; the first hop is a fresh install: pass --values FILE' : ''}.`,
      };
    }
    const fetched = await downloadChain(store, chain, { out: cache, trust, allowUnsigned: o.allowUnsigned, partSize: o.partSize, concurrency: o.concurrency, retries: o.retries }, emit);
    fetched.forEach((f, i) => (outcomes[i].fetched = f.fetched));
    const agents = await installChain(
      o,
      product,
      to,
      outcomes,
      fetched.map((f) => f.path),
      emit,
    );
    return {
      ...base,
      outcome: 'upgraded',
      agents,
      hops: outcomes,
      bytes: outcomes.reduce((n, h) => n + (h.fetched ?? 0), 0),
      ms: Date.now() - t0,
      message: `${product} ${from} -> ${to} upgraded in ${chain.length} hop${chain.length > 1 ? 's' : ''}, installed and healthy.`,
    };
  } finally {
    store.close();
  }
}

function latestVersion(hops: CatalogHop[]): string {
  const vs = hops
    .map((h) => h.to)
    .filter((v) => semver.valid(v))
    .sort(semver.rcompare);
  if (!vs.length) throw usageError('NO_LATEST', 'No hop in the catalog leads to a release version, so "latest" means nothing here.', 'Pass --to VERSION.');
  return canonical(vs[0]);
}

async function outcomeOf(h: CatalogHop, cache: string): Promise<HopOutcome> {
  const c = await cacheState(cache, h.file, h.size);
  return { from: h.from, to: h.to, file: h.file, size: h.size, sha256: h.sha256, cached: c.state, cachedBytes: c.bytes, install: 'not-run' };
}

async function installChain(o: UpgradeOptions, product: string, to: string, hops: HopOutcome[], files: string[], emit: Emit): Promise<AgentsResult | undefined> {
  let agents: AgentsResult | undefined;
  for (let i = 0; i < hops.length; i++) {
    const hop = hops[i];
    const step = `hop ${i + 1}/${hops.length} ${hop.from} -> ${hop.to}`;
    const t = Date.now();
    emit({ type: 'step', step, status: 'begin' });
    try {
      const r = await install({
        bundle: files[i],
        root: o.root,
        values: i === 0 ? o.values : undefined,
        trust: o.trust,
        allowUnsigned: o.allowUnsigned,
        noRollback: o.noRollback,
        notify: o.notify,
        ignorePreflight: o.ignorePreflight,
        stopTimeoutMs: o.stopTimeoutMs,
        emit,
        agents: i === hops.length - 1 && o.agents !== false,
      });
      agents = r.agents;
      hop.install = r.outcome === 'nothing-to-do' ? 'nothing-to-do' : 'installed';
      hop.ms = Date.now() - t;
      // the default cache is the manager's own: an installed hop's archive is dead weight (install kept it extracted)
      if (!o.cache) await dropDownload(path.dirname(files[i]), hop.file);
      emit({ type: 'step', step, status: 'end', ms: hop.ms, detail: r.message });
    } catch (e) {
      if (!isUphopError(e)) throw e;
      hop.install = 'failed';
      hop.ms = Date.now() - t;
      hop.error = { code: e.code, message: e.message };
      emit({ type: 'step', step, status: 'fail', ms: hop.ms, detail: e.message });
      const L = layout(o.root);
      const version = (await readState(L.state))?.version ?? 'none';
      throw stopError({ opts: o, product, to, hops, at: i, cause: e, version, interrupted: await findInterrupted(L) });
    }
  }
  return agents;
}
