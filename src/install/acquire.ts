/**
 * Get a verified copy of the bundle under var/lib/uphop/bundles/<id>/: from a
 * .tar.gz (verified while extracting) or from an extracted folder (copied, then
 * the copy verified). The kept copy is what resume and rollback run from later.
 */
import { cp, mkdir, mkdtemp, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { usageError, messageOf } from '../errors.js';
import type { Emit } from '../events.js';
import { extractBundle } from '../bundle/extract.js';
import { verifyDirectory } from '../bundle/verify-dir.js';
import { bundleId, type Manifest } from '../bundle/manifest.js';
import { exists } from '../drivers/fsutil.js';
import type { Layout } from './layout.js';

export interface Acquired {
  manifest: Manifest;
  dir: string;
  id: string;
  signer?: string;
  /** a temp copy to delete afterwards (dry run) */
  temp?: string;
}

interface Opts { trust?: string; allowUnsigned?: boolean; emit: Emit; dryRun?: boolean }

export async function acquireBundle(source: string, L: Layout, opts: Opts): Promise<Acquired> {
  const st = await stat(source).catch((e) => {
    throw usageError('BUNDLE_NOT_FOUND', `Cannot read the bundle ${source}: ${messageOf(e)}.`, 'Pass the path of a bundle .tar.gz or of its extracted folder.');
  });
  const base = opts.dryRun ? await mkdtemp(path.join(tmpdir(), 'uphop-dry-')) : L.bundlesDir;
  const trust = { trust: opts.trust, allowUnsigned: opts.allowUnsigned, emit: opts.emit };
  if (st.isDirectory()) {
    if (opts.dryRun) {
      const v = await verifyDirectory(source, trust);
      return { manifest: v.manifest, dir: source, id: bundleId(v.manifest), signer: v.signer, temp: base };
    }
    const incoming = await mkdtemp(path.join(await ensure(base), '.incoming-'));
    try {
      await cp(source, incoming, { recursive: true, verbatimSymlinks: true });
      const v = await verifyDirectory(incoming, trust);
      return { ...(await settle(incoming, v.manifest, L)), signer: v.signer };
    } finally {
      await rm(incoming, { recursive: true, force: true });
    }
  }
  const staging = await mkdtemp(path.join(await ensure(base), '.incoming-'));
  try {
    const x = await extractBundle(source, staging, trust);
    if (opts.dryRun) return { manifest: x.manifest, dir: x.dir, id: bundleId(x.manifest), signer: x.signer, temp: base };
    return { ...(await settle(x.dir, x.manifest, L)), signer: x.signer };
  } finally {
    if (!opts.dryRun) await rm(staging, { recursive: true, force: true });
  }
}

async function ensure(dir: string) {
  await mkdir(dir, { recursive: true });
  return dir;
}

/** move the verified copy to bundles/<id>; an identical one kept earlier (resume, re-run) stays */
async function settle(dir: string, manifest: Manifest, L: Layout): Promise<Acquired> {
  const id = bundleId(manifest);
  const dest = L.bundle(id);
  if (await exists(dest)) {
    const kept = await readFile(path.join(dest, 'bundle.json')).catch(() => undefined);
    const fresh = await readFile(path.join(dir, 'bundle.json'));
    if (kept && kept.equals(fresh)) return { manifest, dir: dest, id };
    await rm(dest, { recursive: true, force: true });
  }
  await rename(dir, dest);
  return { manifest, dir: dest, id };
}
