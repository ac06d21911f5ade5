/**
 * --notify URL: the install's milestones as JSON POSTs (Slack-compatible `text`),
 * each retried with backoff. A notification that cannot be delivered is a warning,
 * never a reason to fail or roll back an install.
 */
import type { Emit, UphopEvent } from '../events.js';

export type Milestone = 'started' | 'step' | 'failed' | 'rolled-back' | 'succeeded';

export interface Notifier {
  emit: Emit;
  send(event: Milestone, message: string, extra?: Record<string, unknown>): void;
  /** waits (bounded) for the deliveries in flight */
  flush(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function createNotifier(url: string | undefined, base: { bundle: string; from: string; to: string }, emit: Emit, opts: { attempts?: number; delayMs?: number } = {}): Notifier {
  const inflight = new Set<Promise<void>>();
  const attempts = opts.attempts ?? 4;
  const post = async (body: Record<string, unknown>) => {
    let last = '';
    for (let i = 0; i < attempts; i++) {
      if (i) await sleep((opts.delayMs ?? 500) * 2 ** (i - 1));
      try {
        const res = await fetch(url!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(5000) });
        if (res.ok) return;
        last = `HTTP ${res.status}`;
      } catch (e) {
        last = (e as Error).message;
      }
    }
    emit({ type: 'log', level: 'warn', message: `could not notify ${new URL(url!).host} of "${String(body.event)}" (${last}); the install goes on` });
  };
  const send = (event: Milestone, message: string, extra: Record<string, unknown> = {}) => {
    if (!url) return;
    const body = { event, ...base, ...extra, message, ts: new Date().toISOString(), text: `uphop ${base.bundle}: ${message}` };
    const p = post(body).finally(() => inflight.delete(p));
    inflight.add(p);
  };
  return {
    send,
    emit: (e: UphopEvent) => {
      emit(e);
      if (e.type === 'step' && (e.status === 'end' || e.status === 'fail')) send('step', `${String(e.step)} ${e.status === 'end' ? 'done' : 'failed'}`, { step: e.step, status: e.status, ms: e.ms });
    },
    async flush() {
      await Promise.race([Promise.allSettled([...inflight]), sleep(20_000)]);
    },
  };
}
