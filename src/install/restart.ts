/**
 * `uphop resume` as the user means it: finish an interrupted install from its
 * journal, or, when an install was killed before its journal began (it changed
 * nothing), run that install again with the options it was given.
 */
import path from 'node:path';
import { existsSync } from 'node:fs';
import { usageError } from '../errors.js';
import { silent, type Emit } from '../events.js';
import { install } from './index.js';
import { findInterrupted } from './interrupted.js';
import { layout } from './layout.js';
import type { InstallResult } from './result.js';
import { resumeInstall } from './resume.js';
import { readStarts } from './starting.js';

export async function resumeOrRestart(req: { root: string; emit?: Emit; notify?: string }): Promise<InstallResult> {
  const root = path.resolve(req.root);
  const L = layout(root);
  if (await findInterrupted(L)) return resumeInstall(req);
  const starts = await readStarts(L);
  const last = starts.abandoned.at(-1);
  if (!last || starts.live.length) return resumeInstall(req); // says there is nothing to resume
  if (!existsSync(last.source)) {
    throw usageError('BUNDLE_NOT_FOUND', `An install of ${last.source} was interrupted before it changed anything, and that bundle is gone.`, 'Run the install again with the bundle.');
  }
  const emit = req.emit ?? silent;
  emit({ type: 'resume-plan', bundle: path.basename(last.source).replace(/\.tar\.gz$/, '') });
  emit({ type: 'log', level: 'info', message: `an install of ${path.basename(last.source)} was interrupted before it changed anything: running it again` });
  const o = last.options as Record<string, string | boolean | string[] | number | undefined>;
  return install({
    root,
    bundle: last.source,
    emit: req.emit,
    notify: req.notify ?? (o.notify as string | undefined),
    values: o.values as string | undefined,
    trust: o.trust as string | undefined,
    allowUnsigned: !!o.allowUnsigned,
    noRollback: !!o.noRollback,
    ignorePreflight: o.ignorePreflight as string[] | undefined,
    stopTimeoutMs: o.stopTimeoutMs as number | undefined,
  });
}
