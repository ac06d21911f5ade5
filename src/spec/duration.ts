/** Durations as written in specs and values: "500ms", "60s", "2m", "1h", "1.5s". */
import { usageError } from '../errors.js';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;

export const DURATION_HINT = 'write a number and a unit, e.g. 500ms, 60s, 2m, 1h';

export const isDuration = (text: unknown): text is string => typeof text === 'string' && DURATION.test(text.trim());

/** milliseconds of a duration string; throws BAD_DURATION (exit 2) otherwise */
export function parseDuration(text: string): number {
  const m = DURATION.exec(String(text).trim());
  if (!m) throw usageError('BAD_DURATION', `"${text}" is not a duration`, DURATION_HINT);
  return Math.round(Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]);
}
