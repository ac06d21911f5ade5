/**
 * Get a verified copy of the bundle under var/lib/uphop/bundles/<id>/: from a
 * .tar.gz (verified while extracting) or from an extracted folder (copied, then
 * the copy verified). The kept copy is what resume and rollback run from later.
 */
import { cp, mkdir, mkdtemp, readFile, rename, rm, rmdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { usageError, messageOf, isUphopError, UphopError } from '../errors.js';
import type { Emit, UphopEvent } from '../events.js';
import { extractBundle } from '../bundle/extract.js';
import { checkBesideSignature } from '../bundle/file-sig.js';
import { verifyDirectory } from '../bundle/verify-dir.js';
import { requireRoomForFolder } from '../bundle/space.js';
import { bundleId, type Manifest } from '../bundle/manifest.js';
import { exists } from '../drivers/fsutil.js';
import type { Layout } from './layout.js';
import { asideOf, dropKept, recoverKept, verifyKept } from './kept.js';

export interface Acquired {
  manifest: Manifest;
  dir: string;
  id: string;
  signer?: string;
  /** a temp copy to delete afterwards (dry run) */
  temp?: string;
  /** forget a copy this call kept: an install refused before it began must leave the manager as it was */
  discard?: () => Promise<void>;
  /** the install began: drop what discard would have restored */
  keep?: () => Promise<void>;
}

interface Opts {
  trust?: string;
  allowUnsigned?: boolean;
  emit: Emit;
  dryRun?: boolean;
}

export async function acquireBundle(source: string, L: Layout, opts: Opts): Promise<Acquired> {
  const st = await stat(source).catch((e) => {
    throw usageError('BUNDLE_NOT_FOUND', `Cannot read the bundle ${source}: ${messageOf(e)}.`, 'Pass the path of a bundle .tar.gz or of its extracted folder.');
  });
  const base = opts.dryRun ? await mkdtemp(path.join(tmpdir(), 'uphop-dry-')) : L.bundlesDir;
  const trust = { trust: opts.trust, allowUnsigned: opts.allowUnsigned, emit: opts.emit };
  if (st.isDirectory()) {
    // hooks and packages run from a verified copy only, never from the folder given: it may change after the check
    if (opts.dryRun) {
      const copy = path.join(base, 'bundle');
      const v = await copyVerified(source, copy, trust).catch(dropTemp(base));
      return { manifest: v.manifest, dir: copy, id: bundleId(v.manifest), signer: v.signer, temp: base };
    }
    const made = await mkdir(base, { recursive: true });
    const incoming = await mkdtemp(path.join(base, '.incoming-'));
    try {
      const v = await copyVerified(source, incoming, trust);
      return { ...(await settle(incoming, v.manifest, L, made, trust)), signer: v.signer };
    } finally {
      await rm(incoming, { recursive: true, force: true });
      await removeIfEmpty(base, made);
    }
  }
  // the whole archive first, by its detached signature when one lies beside it: nothing is read out of an archive that fails it
  const fileSigner = await checkBesideSignature(source, opts.trust).catch(dropTemp(opts.dryRun ? base : undefined));
  if (fileSigner) opts.emit({ type: 'log', level: 'info', message: `${path.basename(source)}: detached signature verified (${fileSigner})` });
  const made = opts.dryRun ? undefined : await mkdir(base, { recursive: true });
  const staging = await mkdtemp(path.join(base, '.incoming-'));
  try {
    const extracting = extractBundle(source, staging, trust);
    const x = await (opts.dryRun ? extracting.catch(dropTemp(base)) : extracting);
    if (opts.dryRun) return { manifest: x.manifest, dir: x.dir, id: bundleId(x.manifest), signer: x.signer, temp: base };
    return { ...(await settle(x.dir, x.manifest, L, made, trust)), signer: x.signer };
  } finally {
    if (!opts.dryRun) {
      await rm(staging, { recursive: true, force: true });
      await removeIfEmpty(base, made);
    }
  }
}

type Trust = { trust?: string; allowUnsigned?: boolean; emit: Emit };

/** copy an extracted bundle folder, then verify the copy; messages name the folder the user gave, not our private copy */
async function copyVerified(source: string, copy: string, trust: Trust) {
  await requireRoomForFolder(source, path.dirname(copy)); // plain files only, and they fit: before anything is copied
  await cp(source, copy, { recursive: true, verbatimSymlinks: true });
  return verifyDirectory(copy, { ...trust, emit: relabelEvents(trust.emit, copy, source) }).catch((e) => {
    throw relabel(e, copy, source);
  });
}

/** a dry run's temp folder goes with a refused bundle too */
const dropTemp =
  (dir: string | undefined) =>
  async (e: unknown): Promise<never> => {
    if (dir) await rm(dir, { recursive: true, force: true });
    throw e;
  };

/** remove the folders from `dir` up to `top` (the first one mkdir created) while they are empty */
async function removeIfEmpty(dir: string, top: string | undefined) {
  if (!top) return;
  for (let d = dir; d.startsWith(top); d = path.dirname(d)) {
    if (
      !(await rmdir(d).then(
        () => true,
        () => false,
      ))
    )
      return;
  }
}

function relabel(e: unknown, from: string, to: string): unknown {
  if (!isUphopError(e)) return e;
  const swap = (t?: string) => t?.split(from).join(to);
  return new UphopError(e.code, swap(e.message)!, { hint: swap(e.hint), exitCode: e.exitCode, detail: swap(e.detail), problems: e.problems.map((p) => ({ ...p, message: swap(p.message)! })) });
}

const relabelEvents =
  (emit: Emit, from: string, to: string): Emit =>
  (e: UphopEvent) =>
    emit(e.type === 'log' && typeof e.message === 'string' ? { ...e, message: e.message.split(from).join(to) } : e);

/** move the verified copy to bundles/<id>; an identical one kept earlier (resume, re-run) stays */
async function settle(dir: string, manifest: Manifest, L: Layout, made: string | undefined, trust: Trust): Promise<Acquired> {
  const id = bundleId(manifest);
  const dest = L.bundle(id);
  await recoverKept(L, id);
  if (await exists(dest)) {
    const kept = await readFile(path.join(dest, 'bundle.json')).catch(() => undefined);
    const fresh = await readFile(path.join(dir, 'bundle.json'));
    // the same build kept earlier is reused only once it is re-hashed: it may have changed on disk since
    if (kept?.equals(fresh)) {
      await verifyKept(L, id, trust);
      return { manifest, dir: dest, id };
    }
    // a different build under the same name: replaced only once the install begins (see index.ts)
    const aside = asideOf(L, id);
    await rename(dest, aside);
    await rename(dir, dest);
    return {
      manifest,
      dir: dest,
      id,
      discard: async () => {
        await dropKept(L, dest, id);
        await rename(aside, dest);
      },
      // the aside goes in one rename: a kill cannot leave a torn copy that recoverKept would restore
      keep: () => dropKept(L, aside, id),
    };
  }
  await rename(dir, dest);
  return {
    manifest,
    dir: dest,
    id,
    discard: async () => {
      await rm(dest, { recursive: true, force: true });
      await removeIfEmpty(L.bundlesDir, made);
    },
  };
}
