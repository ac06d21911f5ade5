/**
 * The one retry policy: exponential backoff with jitter, a cap per wait, a bounded
 * number of attempts, errors that stop at once, and an abort signal that ends the
 * wait early. Jitter matters because the callers retry against shared endpoints
 * (a fleet of agents, a store, a chat webhook): waits that double in lockstep turn
 * one hiccup into synchronized bursts.
 */

export interface RetryPolicy {
  /** tries in all, the first included (at least 1) */
  attempts: number;
  /** the wait before the first retry; it doubles per retry */
  baseMs: number;
  /** the longest single wait (default 30 s) */
  maxMs?: number;
  /**
   * the share of each wait drawn at random: 0 = exact doubling, 1 = anywhere in
   * [0, wait]. The default 0.5 waits between half and all of it, so a retry never
   * comes back at once yet two retriers drift apart.
   */
  jitter?: number;
  /** [0, 1) source for the jitter; tests pass a fixed one */
  random?: () => number;
}

export interface RetryInfo {
  /** the attempt that just failed, 1-based */
  attempt: number;
  error: unknown;
  /** how long the helper waits before the next attempt */
  waitMs: number;
}

export interface RetryOptions extends RetryPolicy {
  /** aborts the wait between attempts, and starts no further attempt */
  signal?: AbortSignal;
  /** false for an error that retrying cannot fix: it is thrown at once (default: every error retries) */
  retryable?: (error: unknown) => boolean;
  /** before each wait (a log line, say) */
  onRetry?: (info: RetryInfo) => void;
}

export interface AttemptContext {
  /** 1-based number of this attempt, counted since the last progress() */
  attempt: number;
  /** the attempt moved the work forward: its failure starts the count afresh */
  progressed(): void;
}

export const DEFAULT_MAX_BACKOFF_MS = 30_000;

/** the wait before retry number `retry` (1 = the first retry) */
export function backoffMs(retry: number, p: RetryPolicy): number {
  const full = Math.min(p.maxMs ?? DEFAULT_MAX_BACKOFF_MS, p.baseMs * 2 ** Math.max(0, retry - 1));
  const jitter = Math.min(1, Math.max(0, p.jitter ?? 0.5));
  return Math.round(full * (1 - jitter * (p.random ?? Math.random)()));
}

/** resolves after `ms`, or as soon as the signal aborts (callers check it) */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

const abortError = (signal: AbortSignal) => (signal.reason instanceof Error ? signal.reason : new Error('aborted'));

/**
 * Runs fn until it resolves, throws a non-retryable error, runs out of attempts
 * (the last error is thrown), or the signal aborts (its reason is thrown).
 */
export async function retry<T>(fn: (ctx: AttemptContext) => Promise<T>, o: RetryOptions): Promise<T> {
  const attempts = Math.max(1, Math.floor(o.attempts));
  let failedInRow = 0;
  for (;;) {
    if (o.signal?.aborted) throw abortError(o.signal);
    let progressed = false;
    try {
      return await fn({ attempt: failedInRow + 1, progressed: () => void (progressed = true) });
    } catch (e) {
      if (o.retryable && !o.retryable(e)) throw e;
      failedInRow = progressed ? 1 : failedInRow + 1;
      if (failedInRow >= attempts) throw e;
      const waitMs = backoffMs(failedInRow, o);
      o.onRetry?.({ attempt: failedInRow, error: e, waitMs });
      await pause(waitMs, o.signal);
    }
  }
}
