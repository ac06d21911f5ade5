/**
 * Ctrl-C (SIGINT), SIGTERM (a CI runner cancelling the job) and SIGHUP (the
 * terminal closed) abort the command's signal instead of killing the process, so
 * the command removes what it started (a rehearsal's copy, test-path's sandbox)
 * before main exits.
 */
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export async function withInterrupt<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const stop = () => ac.abort();
  for (const s of SIGNALS) process.once(s, stop);
  try {
    return await fn(ac.signal);
  } finally {
    for (const s of SIGNALS) process.off(s, stop);
  }
}
