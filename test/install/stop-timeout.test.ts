import { describe, expect, it } from 'vitest';
import { stopTimeout } from '../../src/install/steps/services.js';
import type { InstallContext } from '../../src/install/context.js';

const ctx = (stopTimeoutMs: number | undefined, services: Record<string, unknown> | undefined) =>
  ({ opts: { root: '/r', stopTimeoutMs }, values: services === undefined ? {} : { services } }) as unknown as Pick<InstallContext, 'opts' | 'values'>;

describe('how long a service may take to stop', () => {
  it('is --stop-timeout when given, whatever the values say', () => {
    expect(stopTimeout(ctx(2_000, { stop_timeout: '40s' })).timeoutMs).toBe(2_000);
  });
  it("is the site values' services.stop_timeout otherwise", () => {
    expect(stopTimeout(ctx(undefined, { stop_timeout: '40s' })).timeoutMs).toBe(40_000);
    expect(stopTimeout(ctx(undefined, { stop_timeout: '1.5m' })).timeoutMs).toBe(90_000);
  });
  it('is 15 s when neither says', () => {
    expect(stopTimeout(ctx(undefined, undefined)).timeoutMs).toBe(15_000);
    expect(stopTimeout(ctx(undefined, { driver: 'process' })).timeoutMs).toBe(15_000);
  });
});
