/**
 * The benchmark scripts (npm run bench:*) are how speed and memory are measured,
 * so they must keep running: each is run here on tiny inputs and must finish
 * (exit 0) and print its figures and its targets. Whether a tiny run meets a
 * target says nothing, so PASS and MISS are both accepted here; the real figures
 * come from full runs (README). RabbitMQ and s3rver runs need their services.
 */
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { serviceAvailable } from '../helpers/services.js';

const bench = (script: string, args: string[]) =>
  new Promise<{ code: number; out: string }>((resolve) => {
    execFile(process.execPath, [`scripts/${script}`, ...args], { maxBuffer: 32 << 20, timeout: 240_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr });
    });
  });

/** every target line is PASS or MISS, and the closing line counts them */
const expectTargets = (out: string, name: string) => {
  expect(out).toMatch(/^(PASS|MISS) {2}\S/m);
  expect(out).toMatch(new RegExp(`^${name}: (all \\d+ targets met|\\d+ of \\d+ targets MISSED)`, 'm'));
};

const amqp = await serviceAvailable('amqp');

describe('npm run bench:* on tiny inputs', () => {
  it('bench:build', async () => {
    const r = await bench('bench-build.mjs', ['--scale', '0.02', '--rounds', '1']);
    expect(r.code, r.out.slice(-2000)).toBe(0);
    expect(r.out).toMatch(/peak RSS/);
    expectTargets(r.out, 'bench-build');
  }, 250_000);

  it('bench:install', async () => {
    const r = await bench('bench-install.mjs', ['--scale', '0.001', '--rounds', '1']);
    expect(r.code, r.out.slice(-2000)).toBe(0);
    expectTargets(r.out, 'bench-install');
  }, 250_000);

  it('bench:rehearse', async () => {
    const r = await bench('bench-rehearse.mjs', ['--rows', '100', '--rounds', '1']);
    expect(r.code, r.out.slice(-2000)).toBe(0);
    expect(r.out).toMatch(/predicted\/measured/);
    expectTargets(r.out, 'bench-rehearse');
  }, 250_000);

  it('bench:fetch', async () => {
    const r = await bench('bench-fetch.mjs', ['--size-mib', '8', '--rounds', '1']);
    expect(r.code, r.out.slice(-2000)).toBe(0);
    expect(r.out).toMatch(/plain\/fetch time ratio [\d.]+ \(target >= 0\.9: (ok|MISSED)\); fetch peak RSS \d+ MB/);
  }, 250_000);

  it('bench:sig', async () => {
    const r = await bench('bench-sig.mjs', ['--size-mib', '4']);
    expect(r.code, r.out.slice(-2000)).toBe(0);
    expect(r.out).toMatch(/openssl pkeyutl -verify -rawin .*Signature Verified Successfully/);
    expect(r.out).toMatch(/uphop peak RSS \d+ MB for 4 MiB/);
  }, 250_000);

  it.skipIf(!amqp)(
    'bench:agents (HTTP and AMQP, and the simulated fleet)',
    async () => {
      const real = await bench('bench-agents.mjs', ['--agents', '4']);
      expect(real.code, real.out.slice(-2000)).toBe(0);
      expect(real.out).toMatch(/^HTTP +4 /m);
      expect(real.out).toMatch(/^AMQP +4 /m);
      const fleet = await bench('bench-agents.mjs', ['--fleet', '--sizes', '50']);
      expect(fleet.code, fleet.out.slice(-2000)).toBe(0);
      expectTargets(fleet.out, 'bench-agents --fleet');
    },
    250_000,
  );
});
