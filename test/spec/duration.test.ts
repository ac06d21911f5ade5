import { expect, test } from 'vitest';
import { UphopError } from '../../src/errors.js';
import { isDuration, parseDuration } from '../../src/spec/duration.js';

test.each([
  ['500ms', 500],
  ['60s', 60_000],
  ['2m', 120_000],
  ['1h', 3_600_000],
  ['1.5s', 1500],
  ['0s', 0],
  [' 5s ', 5000],
])('parseDuration(%j) is %i ms', (text, ms) => {
  expect(parseDuration(text)).toBe(ms);
  expect(isDuration(text)).toBe(true);
});

test.each(['60', '60 s', '1d', 's', '-5s', '5sec', '', '1e3ms'])('parseDuration(%j) is refused with a hint', (text) => {
  expect(isDuration(text)).toBe(false);
  const err = (() => {
    try {
      parseDuration(text);
    } catch (e) {
      return e;
    }
  })() as UphopError;
  expect(err).toBeInstanceOf(UphopError);
  expect(err.code).toBe('BAD_DURATION');
  expect(err.exitCode).toBe(2);
  expect(err.hint).toMatch(/60s/);
});
