/**
 * --notify URL: the install's milestones as JSON POSTs (Slack-compatible `text`),
 * each retried with backoff (util/retry.ts). A notification that cannot be delivered is a warning,
 * never a reason to fail or roll back an install.
 */
import type { Emit, UphopEvent } from '../events.js';
import { messageOf } from '../errors.js';
import { pause as sleep, retry } from '../util/retry.js';

export type Milestone = 'started' | 'step' | 'failed' | 'rolled-back' | 'succeeded' | 'refused' | 'agents' | 'agents-stopped';

export interface Notifier {
  emit: Emit;
  send(event: Milestone, message: string, extra?: Record<string, unknown>): void;
  /** waits (bounded) for the deliveries in flight */
  flush(): Promise<void>;
}

export function createNotifier(url: string | undefined, base: { bundle: string; from: string; to: string }, emit: Emit, opts: { attempts?: number; delayMs?: number } = {}): Notifier {
  // one at a time, in order: a channel must read "succeeded" after the steps, not before
  let queue: Promise<void> = Promise.resolve();
  let pending = 0;
  // once an event could not be delivered, the next ones get one try each: a dead endpoint must not hold the install
  let down = false;
  const post = async (body: Record<string, unknown>) => {
    try {
      await retry(
        async () => {
          const res = await fetch(url!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(5000) });
          if (!res.ok) throw new Error(`HTTP ${res.status}`);
        },
        { attempts: down ? 1 : (opts.attempts ?? 4), baseMs: opts.delayMs ?? 500, maxMs: 8000 },
      );
      down = false;
    } catch (e) {
      down = true;
      emit({ type: 'log', level: 'warn', message: `could not notify ${new URL(url!).host} of "${String(body.event)}" (${messageOf(e)}); the install goes on` });
    }
  };
  const send = (event: Milestone, message: string, extra: Record<string, unknown> = {}) => {
    if (!url) return;
    const body = { event, ...base, ...extra, message, ts: new Date().toISOString(), text: `uphop ${base.bundle}: ${message}` };
    pending++;
    queue = queue.then(() => post(body)).finally(() => void pending--);
  };
  return {
    send,
    emit: (e: UphopEvent) => {
      emit(e);
      if (e.type === 'step' && e.status === 'end') send('step', `${String(e.step)} done`, { step: e.step, status: e.status, ms: e.ms });
      // a failure is its own milestone: a channel filtering on `event` must not need to read every step
      if (e.type === 'step' && e.status === 'fail') send('failed', `${String(e.step)} failed: ${String(e.detail ?? '')}`, { step: e.step, ms: e.ms });
    },
    async flush() {
      if (pending) await Promise.race([queue, sleep(20_000)]);
    },
  };
}
