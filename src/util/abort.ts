/**
 * A long command (rehearse, test-path) that Ctrl-C must stop at once, with its
 * clean-up run before the process exits: the work it awaits cannot be cancelled
 * half-way (an install in this process), so the command stops waiting for it and
 * its caller removes what the work made; the process exits right after.
 */
export async function untilAborted<T>(signal: AbortSignal | undefined, fn: () => Promise<T>, onAbort: () => Error): Promise<T> {
  if (!signal) return fn();
  let off = () => {};
  const aborted = new Promise<never>((_, reject) => {
    const abort = () => reject(onAbort());
    if (signal.aborted) return abort();
    signal.addEventListener('abort', abort, { once: true });
    off = () => signal.removeEventListener('abort', abort);
  });
  const work = fn();
  work.catch(() => undefined); // an error after the interrupt is no longer anyone's
  try {
    return await Promise.race([work, aborted]);
  } finally {
    off();
  }
}
