/**
 * Spec validation reports every problem at once: problems are collected here with
 * the file, the field (as a user reads it, e.g. `components[1].package`) and the fix,
 * then thrown together as one SPEC_INVALID error.
 */
import { usageError, type Problem, type UphopError } from '../errors.js';

export type FieldPath = (string | number)[];

export const formatField = (path: FieldPath): string => path.reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${p}` : p), '');

export class ProblemList {
  readonly items: Problem[] = [];

  /** locate: the 1-based line of a field in `file`, when known */
  constructor(
    readonly file: string,
    private readonly locate: (path: FieldPath) => number | undefined = () => undefined,
  ) {}

  /** a problem with the spec file itself (or with `file`, a file it points to) */
  add(path: FieldPath, message: string, hint: string, file: string = this.file): void {
    const line = file === this.file ? this.locate(path) : undefined;
    this.items.push({
      file,
      field: path.length ? formatField(path) : undefined,
      message: line ? `${message} (line ${line})` : message,
      hint,
    });
  }

  /** a problem whose message and hint come from a thrown UphopError */
  addError(path: FieldPath, e: UphopError, file: string = this.file): void {
    this.add(path, e.message, e.hint ?? 'fix it and run again', file);
  }

  get count(): number {
    return this.items.length;
  }

  /** the one error carrying every problem, or undefined when there is none */
  toError(displayFile: string): UphopError | undefined {
    const n = this.items.length;
    if (!n) return undefined;
    return usageError('SPEC_INVALID', `${n} ${n === 1 ? 'problem' : 'problems'} in ${displayFile}`, 'fix each problem listed (file, field, fix), then run again', this.items);
  }
}

/** the closest candidate to a mistyped word, if it is close enough to be a likely typo */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/** Levenshtein distance; words here are a few characters long */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length];
}
