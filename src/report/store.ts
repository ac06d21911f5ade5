/**
 * Reports on the manager: var/lib/uphop/reports/<UTC time>-<kind>-<name>.html and
 * .json side by side; names sort by time, so the latest is the last.
 */
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../drivers/fsutil.js';
import { reportHtml } from './html.js';
import type { Report } from './types.js';

export const reportsDir = (root: string) => path.join(root, 'var', 'lib', 'uphop', 'reports');

const stamp = (iso: string) => iso.replace(/[-:]/g, '').replace(/\.(\d+)Z$/, '$1Z');
const safe = (s: string) => s.replace(/[^A-Za-z0-9._+-]+/g, '_').slice(0, 80);

export interface WrittenReport {
  html: string;
  json: string;
}

export async function writeReport(dir: string, report: Report, name: string): Promise<WrittenReport> {
  await mkdir(dir, { recursive: true });
  const base = path.join(dir, `${stamp(report.started)}-${report.kind}-${safe(name)}`);
  // the JSON first: a report whose page exists has its data too
  await writeFileAtomic(`${base}.json`, JSON.stringify(report, null, 2) + '\n', 0o640);
  await writeFileAtomic(`${base}.html`, reportHtml(report), 0o640);
  return { html: `${base}.html`, json: `${base}.json` };
}

/** the newest reports, newest first */
export async function listReports(dir: string, limit = Infinity): Promise<WrittenReport[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names
    .filter((n) => n.endsWith('.json') && names.includes(n.replace(/\.json$/, '.html')))
    .sort()
    .reverse()
    .slice(0, limit)
    .map((n) => ({ json: path.join(dir, n), html: path.join(dir, n.replace(/\.json$/, '.html')) }));
}
