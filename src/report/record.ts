/**
 * The one event stream a report is built from: every event a command emits is
 * passed on unchanged (to the CLI's renderer, so --json prints the same events)
 * and kept with the time it happened.
 */
import type { Emit, UphopEvent } from '../events.js';

export type TimedEvent = UphopEvent & { t: number };

export interface Recorder {
  emit: Emit;
  events: TimedEvent[];
}

export function recorder(next: Emit, now: () => number = Date.now): Recorder {
  const events: TimedEvent[] = [];
  return {
    events,
    emit: (e) => {
      // progress ticks are many and say nothing a report shows, except the agents' count over time
      if (e.type !== 'progress' || (e as { task?: string }).task === 'agents') events.push({ ...e, t: now() });
      next(e);
    },
  };
}
