/**
 * Packages in two steps so downtime holds only the swap: `stage` unpacks the new
 * releases while the old services still run; `activate` (after stop) swaps each
 * component's `current` link. Undo points back at the version state.json names,
 * which holds after a crash too (no in-memory "previous" is needed).
 */
import path from 'node:path';
import { createPackageDriver } from '../../drivers/packages/index.js';
import type { ComponentPackage } from '../../drivers/packages/types.js';
import type { InstallContext } from '../context.js';
import type { InstallStep } from '../step.js';
import { fmtList } from './util.js';

const packagesOf = (ctx: InstallContext): ComponentPackage[] =>
  ctx.manifest.components.map((c) => ({
    product: ctx.manifest.product,
    name: c.name,
    version: c.version,
    type: c.type,
    file: path.join(ctx.bundleDir, c.file),
    sha256: ctx.manifest.files[c.file]?.sha256,
  }));

const driverFor = (ctx: InstallContext, c: ComponentPackage) => createPackageDriver(c.type, { root: ctx.root, emit: ctx.emit });

export const stagePackages: InstallStep = {
  name: 'stage packages',
  async apply(ctx) {
    const all = packagesOf(ctx);
    for (const c of all) await driverFor(ctx, c).stage(c);
    return fmtList(all.map((c) => `${c.name} ${c.version}`));
  },
};

export const activatePackages: InstallStep = {
  name: 'install packages',
  async apply(ctx) {
    const moved: string[] = [];
    for (const c of packagesOf(ctx)) {
      const a = await driverFor(ctx, c).activate(c);
      moved.push(`${c.name} ${a.previous ?? '(new)'} -> ${c.version}`);
    }
    return fmtList(moved);
  },
  async undo(ctx) {
    const back: string[] = [];
    for (const c of packagesOf(ctx).reverse()) {
      const previous = ctx.prev?.components[c.name]?.version;
      await driverFor(ctx, c).deactivate(c, previous);
      back.push(`${c.name} -> ${previous ?? '(removed)'}`);
    }
    return fmtList(back);
  },
};

export const pruneReleases: InstallStep = {
  name: 'prune releases',
  async apply(ctx) {
    const keep = Number((ctx.values.releases as { keep?: number } | undefined)?.keep ?? 2);
    const removed: string[] = [];
    for (const c of packagesOf(ctx)) {
      // the last known good release of each side stays, whatever `keep` says
      const protect = [c.version, ctx.prev?.good[c.name], ctx.prev?.components[c.name]?.version].filter((v): v is string => !!v);
      for (const v of await driverFor(ctx, c).prune(c, keep, protect)) removed.push(`${c.name} ${v}`);
    }
    return removed.length ? `removed ${fmtList(removed)}` : 'nothing to remove';
  },
};
