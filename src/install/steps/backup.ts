/**
 * Before the first change: the manager's configs (all of etc/<product>/ plus every
 * config the bundle writes) and the database, under var/lib/uphop/backups/<bundle-id>/.
 */
import { cp, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { exists } from '../../drivers/fsutil.js';
import { backupDatabase } from '../db-backup.js';
import type { InstallStep } from '../step.js';
import { underRoot } from './configs.js';

export const backup: InstallStep = {
  name: 'backup',
  async apply(ctx) {
    const dir = path.join(ctx.L.backups(ctx.id), 'configs');
    // it holds values.yaml and a copy of the database: owner only
    await mkdir(ctx.L.backups(ctx.id), { recursive: true, mode: 0o700 });
    await mkdir(dir, { recursive: true });
    const rels = new Set([path.relative(ctx.root, ctx.L.etc(ctx.manifest.product)), ...ctx.manifest.configs.map((c) => c.dest)]);
    let saved = 0;
    for (const rel of rels) {
      const src = underRoot(ctx, rel);
      const dest = path.join(dir, rel);
      // after a crash the first copy is the true "before": never overwrite it
      if (!(await exists(src)) || (await exists(dest))) continue;
      await mkdir(path.dirname(dest), { recursive: true });
      await cp(src, dest, { recursive: true, preserveTimestamps: true });
      saved++;
    }
    return `configs (${saved} paths), ${await backupDatabase(ctx)}`;
  },
};
