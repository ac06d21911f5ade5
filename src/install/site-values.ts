/**
 * The site values an install runs with: read from --values on a fresh install,
 * else from the manager's kept copy, and validated before anything uses them.
 * Below install, resume, reopen and agents, which all need them.
 */
import path from 'node:path';
import { usageError } from '../errors.js';
import { validateValues } from '../spec/values.js';
import type { InstallOptions } from './context.js';
import type { Layout } from './layout.js';
import type { InstalledState } from './state.js';
import { readValuesFile, type Values } from './values.js';

export async function loadValues(req: Pick<InstallOptions, 'values'>, L: Layout, product: string, prev: InstalledState | undefined): Promise<Values> {
  if (!req.values && !prev) throw usageError('VALUES_REQUIRED', 'A fresh install needs the site values.', 'Pass --values FILE (database, service driver, ports; see docs/values.md).');
  return readSiteValues(req.values ? path.resolve(req.values) : L.values(product));
}

export async function readSiteValues(file: string): Promise<Values> {
  const values = await readValuesFile(file);
  const problems = validateValues(values, file);
  if (problems.length) throw usageError('VALUES_INVALID', `${problems.length} problem(s) in ${file}.`, 'Fix the values listed above.', problems);
  return values;
}
