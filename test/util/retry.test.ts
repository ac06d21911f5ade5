import { describe, expect, it } from 'vitest';
import { backoffMs, retry } from '../../src/util/retry.js';

/** fails `n` times with the given error, then returns 'ok'; counts calls */
function flaky(n: number, err: () => unknown = () => new Error('flaky')) {
  const f = async () => {
    f.calls++;
    if (f.calls <= n) throw err();
    return 'ok';
  };
  f.calls = 0;
  return f;
}

describe('retry', () => {
  it('retries until it succeeds, within the attempts', async () => {
    const f = flaky(2);
    const waits: number[] = [];
    await expect(retry(f, { attempts: 3, baseMs: 1, onRetry: (i) => waits.push(i.attempt) })).resolves.toBe('ok');
    expect(f.calls).toBe(3);
    expect(waits).toEqual([1, 2]);
  });

  it('throws the last error once the attempts are spent, after exactly that many calls', async () => {
    for (const attempts of [1, 2, 5]) {
      let n = 0;
      const err = await retry(
        async () => {
          throw new Error(`try ${++n}`);
        },
        { attempts, baseMs: 0 },
      ).catch((e) => e);
      expect(n).toBe(attempts);
      expect(err.message).toBe(`try ${attempts}`);
    }
  });

  it('stops at once on an error that is not retryable', async () => {
    class Fatal extends Error {}
    const f = flaky(5, () => new Fatal('no'));
    const err = await retry(f, { attempts: 10, baseMs: 1, retryable: (e) => !(e instanceof Fatal) }).catch((e) => e);
    expect(err).toBeInstanceOf(Fatal);
    expect(f.calls).toBe(1);
  });

  it('an attempt that made progress starts the count afresh', async () => {
    let n = 0;
    // every attempt fails; the 2nd and 3rd report progress, so only the 4th is the 2nd failure in a row
    const err = await retry(
      async (ctx) => {
        n++;
        if (n === 2 || n === 3) ctx.progressed();
        throw new Error(`try ${n}`);
      },
      { attempts: 2, baseMs: 0 },
    ).catch((e) => e);
    expect(err.message).toBe('try 4');
  });

  it('an abort ends the wait and starts no further attempt', async () => {
    const ac = new AbortController();
    let n = 0;
    const run = retry(
      async () => {
        n++;
        throw new Error('down');
      },
      { attempts: 10, baseMs: 60_000, signal: ac.signal, onRetry: () => setTimeout(() => ac.abort(new Error('stop')), 5) },
    );
    const err = await run.catch((e) => e);
    expect(err.message).toBe('stop');
    expect(n).toBe(1);
  });

  it('an already aborted signal runs nothing', async () => {
    const ac = new AbortController();
    ac.abort();
    const f = flaky(0);
    await expect(retry(f, { attempts: 3, baseMs: 1, signal: ac.signal })).rejects.toThrow();
    expect(f.calls).toBe(0);
  });
});

describe('backoffMs', () => {
  it('doubles per retry up to the cap, without jitter', () => {
    const p = { attempts: 10, baseMs: 100, maxMs: 1000, jitter: 0 };
    expect([1, 2, 3, 4, 5, 6].map((r) => backoffMs(r, p))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('jitter draws each wait within [1 - jitter, 1] of the doubled one', () => {
    const p = { attempts: 10, baseMs: 1000, jitter: 0.5 };
    expect(backoffMs(1, { ...p, random: () => 0 })).toBe(1000);
    expect(backoffMs(1, { ...p, random: () => 0.999999 })).toBe(500);
    // two retriers with the default randomness drift apart
    const waits = new Set(Array.from({ length: 50 }, () => backoffMs(3, { attempts: 10, baseMs: 1000 })));
    expect(waits.size).toBeGreaterThan(10);
    for (const w of waits) expect(w >= 2000 && w <= 4000).toBe(true);
  });
});
