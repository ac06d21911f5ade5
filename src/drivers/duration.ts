/** A check's duration ("500ms", "60s", "2m"; grammar of spec/duration.ts) with a default and an error naming the field. */
import { usageError } from '../errors.js';
import { DURATION_HINT, isDuration, parseDuration as parseSpecDuration } from '../spec/duration.js';

export function parseDuration(text: string | undefined, fallbackMs: number, what = 'duration'): number {
  if (text === undefined || text === '') return fallbackMs;
  if (!isDuration(text)) throw usageError('BAD_DURATION', `The ${what} "${text}" is not a duration.`, `${DURATION_HINT[0].toUpperCase()}${DURATION_HINT.slice(1)}.`);
  return parseSpecDuration(text);
}
