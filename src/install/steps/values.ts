/** Keep the site values given with --values as the manager's own etc/<product>/values.yaml. */
import { copyFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { exists } from '../../drivers/fsutil.js';
import { keepValues } from '../values.js';
import type { InstallStep } from '../step.js';

export const saveValues: InstallStep = {
  name: 'save values',
  async apply(ctx) {
    if (!ctx.opts.values) return "kept the manager's values";
    await keepValues(ctx.opts.values, ctx.L.values(ctx.manifest.product));
    return `from ${ctx.opts.values}`;
  },
  async undo(ctx) {
    if (!ctx.opts.values) return;
    const file = ctx.L.values(ctx.manifest.product);
    const saved = path.join(ctx.L.backups(ctx.id), 'configs', path.relative(ctx.root, file));
    if (await exists(saved)) await copyFile(saved, file);
    else await rm(file, { force: true });
  },
};
