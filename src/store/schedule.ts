/**
 * Which ranges to request, and how many at once. One stream first: each request
 * covers a window of consecutive missing parts, so its bytes arrive in order and
 * are hashed as they arrive. When the first part shows a slow stream, more
 * workers join with one part each (a single TCP stream held back by latency
 * gains from parallel ranges); if the parallel rate turns out no better (a
 * CPU-bound link, such as loopback on a busy host), the extra workers retire
 * after their current part and the last one streams windows again. A window is
 * claimed whole when requested and always finished, so no byte is fetched twice.
 */
import { complete, fetchRun, type RangedOptions } from './ranged.js';

/** parallel must beat the single stream by this much to be kept */
const PARALLEL_GAIN = 1.3;
/** parts per streamed request: few requests, yet workers that join find parts to take soon */
const WINDOW = 4;

export async function fetchRanges(o: RangedOptions): Promise<void> {
  const { layout } = o;
  const claimed = layout.done.map((_, i) => complete(layout, i));
  const free = (j: number) => j < claimed.length && !claimed[j] && layout.done[j] === 0;
  const claimNext = () => {
    const i = claimed.indexOf(false);
    if (i >= 0) claimed[i] = true;
    return i;
  };
  let failed: unknown;
  const cancelled = () => failed !== undefined;
  let mode: 'single' | 'parallel' = 'single';
  let active = 0;
  let probe: { rate: number; t: number; written: number } | undefined;
  let written = 0;
  let probed = false; // only the very first stream measures the link
  // a link that needs no parallel ranges gets the rest in one request: each new request costs a round trip and a stall
  let window = o.concurrency < 2 ? Infinity : WINDOW;

  const onWrite = (n: number) => {
    written += n;
    o.onWrite(n);
    if (!probe || mode !== 'parallel' || written - probe.written < o.concurrency * layout.partSize) return;
    const rate = ((written - probe.written) * 1000) / Math.max(1, Date.now() - probe.t);
    if (rate < probe.rate * PARALLEL_GAIN) mode = 'single';
    probe = undefined; // decided
  };
  const run = { ...o, onWrite };
  const measured = (rate: number) => {
    if (rate >= o.fastLink) window = Infinity;
    if (rate >= o.fastLink || o.concurrency < 2 || mode !== 'single') return;
    mode = 'parallel';
    probe = { rate, t: Date.now(), written };
    for (let k = 1; k < o.concurrency; k++) spawn();
  };

  const workers: Promise<void>[] = [];
  const worker = async () => {
    active++;
    try {
      for (let i = claimNext(); i >= 0 && !cancelled(); i = claimNext()) {
        let last = i;
        if (mode === 'single') while (last - i + 1 < window && free(last + 1)) claimed[++last] = true;
        await fetchRun(run, i, { cancelled, last, measured: probed ? undefined : ((probed = true), measured) });
        if (mode === 'single' && active > 1) return; // parallel gained nothing: surplus workers retire
      }
    } finally {
      active--;
    }
  };
  const spawn = () =>
    workers.push(
      worker().catch((e) => {
        failed ??= e;
      }),
    );
  spawn();
  for (let k = 0; k < workers.length; k++) await workers[k]; // the list grows while the first one runs
  if (failed !== undefined) throw failed;
}
