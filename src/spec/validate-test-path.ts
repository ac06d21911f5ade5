/**
 * `test_path:` in a hop spec: what `uphop test-path` must know about the product
 * that its data cannot tell. `ignore_data` names the tables the product's own
 * services keep writing while they run (heartbeats, last-seen times): a rollback
 * cannot give their rows back, so test-path compares their schema and not their rows.
 */
import { TABLE_NAME } from '../bundle/fields.js';
import type { ProblemList } from './problems.js';
import { mapping, stringList } from './shape.js';

export interface TestPathSpec {
  ignoreData: string[];
}

export function validateTestPath(p: ProblemList, value: unknown): TestPathSpec | undefined {
  if (value === undefined || value === null) return undefined;
  const m = mapping(p, value, ['test_path'], { known: ['ignore_data'] });
  if (!m) return undefined;
  const tables = stringList(p, m.ignore_data, ['test_path', 'ignore_data'], '[worker_heartbeats]') ?? [];
  tables.forEach((t, i) => {
    if (!TABLE_NAME.test(t)) p.add(['test_path', 'ignore_data', i], `"${t}" is not a table name`, 'write the bare table name, e.g. worker_heartbeats (letters, digits and "_")');
  });
  return { ignoreData: [...new Set(tables)] };
}
