/**
 * Rebuild an install's context from its journal, for resume and rollback: the
 * options it ran with, the state before it, and the kept bundle (verified again).
 */
import type { Emit } from '../events.js';
import { createContext, type InstallContext, type InstallOptions } from './context.js';
import type { JournalSummary } from './journal.js';
import type { Layout } from './layout.js';
import { recoverKept, verifyKept } from './kept.js';
import { createNotifier, type Notifier } from './notify.js';
import { readSiteValues } from './site-values.js';

export async function reopen(L: Layout, id: string, j: JournalSummary, emit: Emit, notify?: string): Promise<{ ctx: InstallContext; notifier: Notifier }> {
  const o = (j.options ?? {}) as Partial<InstallOptions>;
  await recoverKept(L, id);
  const v = await verifyKept(L, id, { trust: o.trust, allowUnsigned: o.allowUnsigned, emit });
  const prev = j.prev ?? undefined;
  // once saved, the manager's own copy is the one to use (the --values file may be gone)
  const values = await readSiteValues(j.ended.has('save values') || !o.values ? L.values(v.manifest.product) : o.values);
  const notifier = createNotifier(notify ?? o.notify, { bundle: id, from: prev?.version ?? 'none', to: v.manifest.to }, emit);
  const opts: InstallOptions = { ...o, root: L.root };
  const ctx = createContext({ opts, L, emit: notifier.emit, manifest: v.manifest, bundleDir: L.bundle(id), id, prev, values });
  ctx.attempt = j.beganAt;
  return { ctx, notifier };
}
