/** The reports a manager holds (var/lib/uphop/reports), oldest first, as their JSON. */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export interface StoredReport {
  /** the .json file */
  file: string;
  report: any;
}

export async function readReports(root: string): Promise<StoredReport[]> {
  const dir = path.join(root, 'var', 'lib', 'uphop', 'reports');
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json')).sort();
  return Promise.all(names.map(async (n) => ({ file: path.join(dir, n), report: JSON.parse(await readFile(path.join(dir, n), 'utf8')) })));
}
