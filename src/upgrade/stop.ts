/**
 * The error an upgrade stops with: which hops went through, where the manager
 * stands now, and the exact command that continues. The hop's own error (already
 * rolled back by install()) is kept as a problem line and as the cause.
 */
import { UphopError, type UphopError as Err } from '../errors.js';
import type { Interrupted } from '../install/interrupted.js';
import type { HopOutcome, UpgradeOptions } from './types.js';

export interface StopFacts {
  opts: UpgradeOptions;
  product: string;
  to: string;
  hops: HopOutcome[];
  /** index of the hop that failed */
  at: number;
  cause: Err;
  /** the version state.json records after the failure */
  version: string;
  /** the failed hop's install was left unfinished (--no-rollback, or its rollback failed) */
  interrupted?: Interrupted;
}

const q = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
const rootFlag = (root: string) => (root === '/' ? '' : ` --root ${q(root)}`);

/** the same upgrade again: finished hops are skipped (they are installed) and downloads are reused */
export function continueCommand(o: UpgradeOptions, version: string): string {
  const parts = ['uphop upgrade --to', q(o.to), '--store', q(o.store)];
  if (o.root !== '/') parts.push('--root', q(o.root));
  if (o.storeOptions?.endpoint) parts.push('--endpoint', q(o.storeOptions.endpoint));
  if (o.trust) parts.push('--trust', q(o.trust));
  if (o.allowUnsigned) parts.push('--allow-unsigned');
  if (o.values && version === 'none') parts.push('--values', q(o.values));
  if (o.cache) parts.push('--cache', q(o.cache));
  if (o.product) parts.push('--product', q(o.product));
  return parts.join(' ');
}

export function stopError(f: StopFacts): UphopError {
  const hop = f.hops[f.at];
  const done = f.hops.slice(0, f.at).filter((h) => h.install === 'installed');
  const where = `hop ${f.at + 1} of ${f.hops.length} (${hop.from} -> ${hop.to})`;
  const after = done.length ? `after ${done.map((h) => `${h.from} -> ${h.to}`).join(', ')} succeeded` : 'before any hop was installed';
  const again = continueCommand(f.opts, f.version);
  const rf = rootFlag(f.opts.root);
  let message: string;
  let hint: string;
  if (f.interrupted?.undoing) {
    message = `The upgrade to ${f.to} stopped at ${where} ${after}; rolling that hop back did not finish.`;
    hint = `Fix the cause, then run "uphop rollback${rf}" to return to ${hop.from}, and "${again}" to try again.`;
  } else if (f.interrupted) {
    const step = f.interrupted.begun.at(-1);
    message = `The upgrade to ${f.to} stopped at ${where} ${after}; that hop's install was left unfinished at step "${step}" (not rolled back).`;
    hint = `Fix the cause, then run "uphop resume${rf}" to finish that hop and "${again}" for the rest, or "uphop rollback${rf}" to return to ${hop.from}.`;
  } else {
    // exit 1 from install means it rolled back and health-checked the old version; a refusal changed nothing
    const state = f.cause.exitCode === 1 ? 'and healthy' : 'unchanged by this hop';
    const on = f.version === 'none' ? 'nothing is installed' : `${f.product} is on ${f.version} ${state}`;
    message = `The upgrade to ${f.to} stopped at ${where} ${after}: ${on}.`;
    hint = `Fix the cause above, then run "${again}" to continue from ${f.version}; downloaded bundles are reused.`;
  }
  // after an automatic rollback the hop's own hint ("resume or roll back") no longer applies; a refusal's does
  const causeHint = f.interrupted || f.cause.exitCode !== 1 ? f.cause.hint : undefined;
  return new UphopError('UPGRADE_STOPPED', message, {
    hint,
    exitCode: f.cause.exitCode,
    problems: [{ field: `${hop.from} -> ${hop.to}`, message: `[${f.cause.code}] ${f.cause.message}`, hint: causeHint }],
    cause: f.cause,
  });
}
