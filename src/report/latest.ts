/** `uphop report`: the newest report of a manager, and optionally open it in a browser. */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { failure, usageError } from '../errors.js';
import { listReports, reportsDir } from './store.js';
import type { Report } from './types.js';

export interface ReportInfo {
  html: string;
  json: string;
  /** install, upgrade, rehearse, test-path, resume, rollback or agents */
  kind: string;
  title: string;
  outcome: string;
  downtimeMs: number;
  /** --open: whether a browser was started (xdg-open) */
  opened?: boolean;
}

export async function latestReport(o: { root: string; open?: boolean }): Promise<ReportInfo> {
  const [latest] = await listReports(reportsDir(o.root), 1);
  if (!latest)
    throw usageError('NO_REPORT', `No report under ${reportsDir(o.root)} yet.`, 'Reports are written by install, upgrade, resume, rollback, agents rollout, rehearse and test-path; run one first.');
  let r: Report;
  try {
    r = JSON.parse(await readFile(latest.json, 'utf8')) as Report;
  } catch {
    throw failure('REPORT_UNREADABLE', `${latest.json} is not a readable report.`, 'Open the .html file beside it, or run the operation again.');
  }
  const info: ReportInfo = { ...latest, kind: r.kind, title: r.title, outcome: r.outcome, downtimeMs: r.downtimeMs };
  if (o.open) info.opened = await openInBrowser(latest.html);
  return info;
}

/** xdg-open when there is one; false when it is missing (the path is printed either way) */
function openInBrowser(file: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('xdg-open', [file], { stdio: 'ignore', detached: true });
    child.once('error', () => resolve(false));
    child.once('spawn', () => {
      child.unref();
      resolve(true);
    });
  });
}
