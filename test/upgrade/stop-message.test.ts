/** The stop error of an upgrade: what it says for each way a hop can fail, and the command it names. */
import { describe, expect, it } from 'vitest';
import { failure, refusal } from '../../src/errors.js';
import { continueCommand, stopError } from '../../src/upgrade/stop.js';
import type { HopOutcome, UpgradeOptions } from '../../src/upgrade/types.js';

const hop = (from: string, to: string, install: HopOutcome['install']): HopOutcome => ({
  from,
  to,
  file: `beacon-${from}-to-${to}.tar.gz`,
  size: 1,
  sha256: 'x',
  cached: 'missing',
  cachedBytes: 0,
  install,
});
const opts: UpgradeOptions = { to: '4.2.0', store: 's3://b/p', root: '/srv/my mgr', trust: '/k/pub.pem', storeOptions: { endpoint: 'http://127.0.0.1:9000' } };
const hops = [hop('3.4.2', '4.0.1', 'installed'), hop('4.0.1', '4.1.1', 'failed'), hop('4.1.1', '4.2.0', 'not-run')];
const base = { opts, product: 'beacon', to: '4.2.0', hops, at: 1, version: '4.0.1' };

describe('upgrade stop error', () => {
  it('after a rolled-back hop: exit 1, healthy on the last good version, the same command again', () => {
    const e = stopError({ ...base, cause: failure('HEALTH_CHECK_FAILED', 'The install failed; it was rolled back.', 'resume or roll back') });
    expect(e).toMatchObject({ code: 'UPGRADE_STOPPED', exitCode: 1 });
    expect(e.message).toBe('The upgrade to 4.2.0 stopped at hop 2 of 3 (4.0.1 -> 4.1.1) after 3.4.2 -> 4.0.1 succeeded: beacon is on 4.0.1 and healthy.');
    expect(e.hint).toContain(`"uphop upgrade --to 4.2.0 --store s3://b/p --root '/srv/my mgr' --endpoint http://127.0.0.1:9000 --trust /k/pub.pem" to continue from 4.0.1`);
    expect(e.problems).toEqual([{ field: '4.0.1 -> 4.1.1', message: '[HEALTH_CHECK_FAILED] The install failed; it was rolled back.', hint: undefined }]);
  });

  it('after a refusal: keeps its exit code and hint, and claims nothing about health', () => {
    const e = stopError({ ...base, cause: refusal('LOCK_HELD', 'Another install is running.', 'Wait for it.') });
    expect(e.exitCode).toBe(3);
    expect(e.message).toContain('beacon is on 4.0.1 unchanged by this hop.');
    expect(e.problems[0].hint).toBe('Wait for it.');
  });

  it('after --no-rollback: names resume for the hop and the upgrade for the rest', () => {
    const interrupted = { id: 'beacon-4.0.1-to-4.1.1', file: 'j', begun: ['verify', 'health checks'], ended: new Set<string>(), undone: new Set<string>(), undoing: false };
    const e = stopError({ ...base, cause: failure('HEALTH_CHECK_FAILED', 'x'), interrupted: interrupted as never });
    expect(e.message).toContain('left unfinished at step "health checks" (not rolled back)');
    expect(e.hint).toMatch(
      /^Fix the cause, then run "uphop resume --root '\/srv\/my mgr'" to finish that hop and "uphop upgrade .*" for the rest, or "uphop rollback --root '\/srv\/my mgr'" to return to 4\.0\.1\.$/,
    );
  });

  it('asks for --values again only while nothing is installed', () => {
    const o = { ...opts, root: '/', values: '/etc/site.yaml', trust: undefined, allowUnsigned: true, storeOptions: undefined };
    expect(continueCommand(o, 'none')).toBe('uphop upgrade --to 4.2.0 --store s3://b/p --allow-unsigned --values /etc/site.yaml');
    expect(continueCommand(o, '3.4.2')).toBe('uphop upgrade --to 4.2.0 --store s3://b/p --allow-unsigned');
  });
});
