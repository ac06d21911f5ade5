/**
 * The verified bundle copies kept under var/lib/uphop/bundles/<id>. Replacing one
 * (another build of the same hop) takes two renames, the old copy aside and the
 * new one in place; the old one is deleted once the install begins (keep) and put
 * back when it does not (discard). A kill -9 between those steps leaves
 * `<id>.previous-<pid>` behind, and since a copy is kept before the journal says
 * an install began, a leftover aside always means that install never began: the
 * old copy is the truth, and recoverKept puts it back.
 *
 * A kept copy is state on disk, checked when it was kept but not since: install,
 * resume, rollback and agents re-hash it against its signed manifest (verifyKept)
 * before they run or serve anything from it.
 */
import { existsSync } from 'node:fs';
import { readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { isUphopError, refusal } from '../errors.js';
import type { VerifiedBundle, VerifyOptions } from '../bundle/scan.js';
import { verifyDirectory } from '../bundle/verify-dir.js';
import { readJournal } from './journal.js';
import type { Layout } from './layout.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** where this process puts the old copy while it replaces it */
export const asideOf = (L: Layout, id: string) => `${L.bundle(id)}.previous-${process.pid}`;

/** delete a kept folder so that a kill cannot leave half of it looking whole: renamed away first */
export async function dropKept(L: Layout, dir: string, id: string): Promise<void> {
  const trash = `${L.bundle(id)}.trash-${process.pid}`;
  await rename(dir, trash).catch((e) => {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  });
  await rm(trash, { recursive: true, force: true });
}

/** undo what a killed installer left half-done for <id>; another live installer's aside is left alone */
export async function recoverKept(L: Layout, id: string): Promise<void> {
  const names = await readdir(L.bundlesDir).catch(() => [] as string[]);
  for (const name of names) {
    const full = path.join(L.bundlesDir, name);
    const trash = /^(.*)\.trash-(\d+)$/.exec(name);
    if (trash?.[1] === id && !alive(Number(trash[2]))) await rm(full, { recursive: true, force: true });
    const aside = /^(.*)\.previous-(\d+)$/.exec(name);
    if (aside?.[1] !== id || alive(Number(aside[2]))) continue;
    await dropKept(L, L.bundle(id), id);
    await rename(full, L.bundle(id));
  }
}

/** signature policy refusals are the caller's to explain; every other refusal means the copy changed */
const POLICY = new Set(['BUNDLE_UNSIGNED', 'BUNDLE_UNTRUSTED']);

/** re-hash the kept copy of <id> against its manifest (and its signature, with a trusted key): refusal (exit 3) naming the file */
export async function verifyKept(L: Layout, id: string, opts: VerifyOptions): Promise<VerifiedBundle> {
  const dir = L.bundle(id);
  try {
    return await verifyDirectory(dir, opts);
  } catch (e) {
    if (!isUphopError(e) || e.exitCode !== 3 || POLICY.has(e.code)) throw e;
    throw refusal(
      'KEPT_COPY_MODIFIED',
      `The kept bundle copy ${dir} changed since it was verified: ${e.message}`,
      `Nothing was run from it. Find out what changed it; then delete ${dir} and install the bundle again from its archive.`,
      { detail: e.code },
    );
  }
}

/**
 * The signature policy the install of <id> ran with, for a reuse that has no
 * --trust of its own (agents rollout): its key when that file is still there, so
 * the manifest's signature is checked again too; else integrity against the
 * manifest only (its signature was checked when the copy was kept).
 */
export async function keptPolicy(L: Layout, id: string): Promise<Pick<VerifyOptions, 'trust' | 'allowUnsigned'>> {
  const options = (await readJournal(L.journal(id)).catch(() => []))[0]?.options ?? {};
  const trust = typeof options.trust === 'string' && existsSync(options.trust) ? options.trust : undefined;
  return { trust, allowUnsigned: !trust || options.allowUnsigned === true };
}
