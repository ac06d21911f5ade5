/**
 * Type checks over the parsed YAML that report into a ProblemList and return the
 * value when it has the right shape (undefined otherwise), so validation goes on
 * past the first mistake.
 */
import { closest, type FieldPath, type ProblemList } from './problems.js';

export type Mapping = Record<string, unknown>;

export const isMapping = (v: unknown): v is Mapping => v !== null && typeof v === 'object' && !Array.isArray(v);

export function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `the ${typeof v} ${JSON.stringify(v)}`;
}

/** a mapping with only known keys and every required key present; `example` shows how to write a missing key */
export function mapping(p: ProblemList, value: unknown, path: FieldPath, keys: { known: readonly string[]; required?: readonly string[]; example?: Record<string, string> }): Mapping | undefined {
  const where = path.length ? String(path[path.length - 1]) : 'the spec';
  if (!isMapping(value)) {
    p.add(path, `${typeof path[path.length - 1] === 'number' ? 'each entry' : where} must be a mapping, got ${describe(value)}`, 'write it as "key: value" lines');
    return undefined;
  }
  for (const key of Object.keys(value)) {
    if (keys.known.includes(key)) continue;
    const guess = closest(key, keys.known);
    p.add([...path, key], `unknown key "${key}"`, guess ? `did you mean "${guess}"?` : `remove it; known keys here: ${keys.known.join(', ')}`);
  }
  for (const key of keys.required ?? []) {
    if (value[key] === undefined || value[key] === null) {
      p.add([...path, key], `missing required key "${key}"`, `add it, e.g. "${key}: ${keys.example?.[key] ?? '...'}"`);
    }
  }
  return value;
}

/** a string (numbers and booleans are refused: YAML turns 4.10 into 4.1 and 0640 into 640) */
export function str(p: ProblemList, value: unknown, path: FieldPath, example?: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  const hint = typeof value === 'number' || typeof value === 'boolean' ? `quote it: "${example ?? String(value)}"` : `write a single text value${example ? `, e.g. "${example}"` : ''}`;
  p.add(path, `${String(path[path.length - 1])} must be a text value, got ${describe(value)}`, hint);
  return undefined;
}

export function list(p: ProblemList, value: unknown, path: FieldPath, example: string): unknown[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value;
  p.add(path, `${String(path[path.length - 1])} must be a list, got ${describe(value)}`, `write it as a list, e.g. ${example}`);
  return undefined;
}

export function stringList(p: ProblemList, value: unknown, path: FieldPath, example: string): string[] | undefined {
  const items = list(p, value, path, example);
  if (!items) return undefined;
  const bad = items.findIndex((v) => typeof v !== 'string');
  if (bad >= 0) {
    p.add([...path, bad], `each entry must be a text value, got ${describe(items[bad])}`, `quote it, e.g. ${example}`);
    return undefined;
  }
  return items as string[];
}

export function integer(p: ProblemList, value: unknown, path: FieldPath, range: { min: number; max?: number }): number | undefined {
  if (value === undefined || value === null) return undefined;
  const ok = typeof value === 'number' && Number.isInteger(value) && value >= range.min && (range.max === undefined || value <= range.max);
  if (ok) return value;
  const span = range.max === undefined ? `${range.min} or more` : `from ${range.min} to ${range.max}`;
  p.add(path, `${String(path[path.length - 1])} must be a whole number ${span}, got ${describe(value)}`, `write a whole number ${span}`);
  return undefined;
}
