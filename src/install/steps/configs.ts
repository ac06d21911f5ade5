/**
 * Write the new version's configs, rendered with the site values. A config the
 * site edited since uphop last wrote it is kept: the new one goes beside it as
 * `<file>.new` and the report says so (a blind overwrite loses their change; a
 * key merge can silently keep a setting the new version no longer understands).
 */
import { createHash } from 'node:crypto';
import { readFile, rm, mkdir, copyFile } from 'node:fs/promises';
import path from 'node:path';
import { refusal } from '../../errors.js';
import { renderTemplate } from '../../spec/template.js';
import { exists, writeFileAtomic } from '../../drivers/fsutil.js';
import type { InstallContext, ConfigOutcome } from '../context.js';
import type { InstallStep } from '../step.js';

const sha256 = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

export function underRoot(ctx: InstallContext, rel: string): string {
  const file = path.resolve(ctx.root, rel);
  if (path.isAbsolute(rel) || !file.startsWith(ctx.root === '/' ? '/' : ctx.root + path.sep)) {
    throw refusal('BUNDLE_UNSAFE_PATH', `The bundle wants to write ${rel}, outside the manager root.`, 'Ask the publisher for a corrected bundle.');
  }
  return file;
}

export async function renderConfigs(ctx: InstallContext): Promise<{ dest: string; text: string; mode: number; hash: string }[]> {
  return Promise.all(
    ctx.manifest.configs.map(async (c) => {
      const text = renderTemplate(await readFile(path.join(ctx.bundleDir, c.template), 'utf8'), ctx.vars, { source: c.template });
      return { dest: c.dest, text, mode: parseInt(c.mode, 8), hash: sha256(text) };
    }),
  );
}

/** what writing a rendered config would do: the one rule the install and --dry-run share */
export async function configAction(ctx: InstallContext, c: { dest: string; hash: string }): Promise<'write' | 'unchanged' | 'keep-site-edit'> {
  const file = underRoot(ctx, c.dest);
  if (!(await exists(file))) return 'write';
  const current = sha256(await readFile(file));
  if (current === c.hash) return 'unchanged';
  // a file that differs from what uphop last wrote was edited on the manager
  return current !== ctx.prev?.configs[c.dest] ? 'keep-site-edit' : 'write';
}

async function writeOne(ctx: InstallContext, c: { dest: string; text: string; mode: number; hash: string }): Promise<ConfigOutcome> {
  const file = underRoot(ctx, c.dest);
  const action = await configAction(ctx, c);
  if (action === 'unchanged') return { dest: c.dest, action: 'unchanged' };
  if (action === 'keep-site-edit') {
    await writeFileAtomic(`${file}.new`, c.text, c.mode);
    return { dest: c.dest, action: 'kept-site-edit', newFile: `${c.dest}.new` };
  }
  await writeFileAtomic(file, c.text, c.mode);
  return { dest: c.dest, action: 'written' };
}

export const writeConfigs: InstallStep = {
  name: 'write configs',
  async apply(ctx) {
    ctx.configs = [];
    for (const c of await renderConfigs(ctx)) ctx.configs.push(await writeOne(ctx, c));
    const kept = ctx.configs.filter((c) => c.action === 'kept-site-edit');
    for (const k of kept) ctx.emit({ type: 'log', level: 'warn', message: `${k.dest} was edited on this manager: kept it, the new version is in ${k.newFile}; merge it by hand` });
    const written = ctx.configs.filter((c) => c.action === 'written').length;
    return `${written} written, ${ctx.configs.length - written - kept.length} unchanged, ${kept.length} kept (site edits)`;
  },
  async undo(ctx) {
    const saved = path.join(ctx.L.backups(ctx.id), 'configs');
    for (const c of ctx.manifest.configs) {
      const file = underRoot(ctx, c.dest);
      const backup = path.join(saved, c.dest);
      await rm(`${file}.new`, { force: true });
      if (await exists(backup)) {
        await mkdir(path.dirname(file), { recursive: true });
        await copyFile(backup, file); // keeps the backup's own mode
      } else await rm(file, { force: true });
    }
    return `${ctx.manifest.configs.length} restored`;
  },
};
