/** `uphop report`: the newest report of a manager, and optionally open it in a browser. */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { failure, usageError } from '../errors.js';
import { listReports, reportsDir } from './store.js';
import type { Report, ReportError } from './types.js';

export interface ReportInfo {
  html: string;
  json: string;
  /** install, upgrade, rehearse, test-path, resume, rollback or agents */
  kind: string;
  title: string;
  outcome: string;
  downtimeMs: number;
  ms: number;
  /** what the terminal shows of it: the steps and migrations with their times, the errors with what to do */
  steps: { step: string; status: string; ms: number; detail?: string }[];
  migrations: { name: string; phase: string; status: string; ms: number }[];
  errors: ReportError[];
  warnings: string[];
  facts: Record<string, string | number>;
  agents?: { upgraded?: number; failed?: number; total?: number };
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
  const info: ReportInfo = {
    ...latest,
    kind: r.kind,
    title: r.title,
    outcome: r.outcome,
    downtimeMs: r.downtimeMs,
    ms: r.ms,
    steps: (r.steps ?? []).map((s) => ({ step: s.step, status: s.status, ms: Math.max(0, s.end - s.start), ...(s.detail ? { detail: s.detail } : {}) })),
    migrations: (r.migrations ?? []).map((m) => ({ name: m.name, phase: m.phase, status: m.status, ms: m.ms })),
    errors: r.errors ?? [],
    warnings: r.warnings ?? [],
    facts: r.facts ?? {},
    ...(r.rollout ? { agents: { upgraded: r.rollout.upgraded, failed: r.rollout.failed, total: r.rollout.total } } : {}),
  };
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
