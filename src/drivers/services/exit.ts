/** A service's end in words: "exited with code 3", "was killed by SIGKILL". */
import type { ServiceExit } from './types.js';

export const describeExit = (x: Pick<ServiceExit, 'code' | 'signal'>): string =>
  x.signal ? `was killed by ${x.signal}` : x.code !== null ? `exited with code ${x.code}` : 'exited (exit status unknown)';

/** "; the last lines of its log:\n  ..." or `none` when there are none */
export const tailText = (tail: string[], none = '') => (tail.length ? `; the last lines of its log:\n${tail.map((l) => `  ${l}`).join('\n')}` : none);
