/**
 * What the rehearsal measured, read off the install's events: every step and
 * migration with its duration, the predicted downtime (from "stop services"
 * beginning to "health checks" ending), and where it failed.
 */
import type { UphopEvent } from '../events.js';

export interface Timeline {
  steps: { step: string; status: string; ms: number }[];
  migrations: { name: string; phase: string; status: string; ms: number }[];
  /** stop-to-healthy; 0 when the install never reached "stop services" */
  downtimeMs: number;
  failedStep?: string;
  failedMigration?: string;
}

export function timeline(now: () => number = Date.now) {
  const out: Timeline = { steps: [], migrations: [], downtimeMs: 0 };
  let stopAt: number | undefined;
  return {
    see(e: UphopEvent) {
      const x = e as Record<string, unknown>;
      if (e.type === 'step') {
        if (x.status === 'begin') {
          if (x.step === 'stop services') stopAt = now();
          return;
        }
        out.steps.push({ step: String(x.step), status: String(x.status), ms: Number(x.ms ?? 0) });
        if (x.status === 'fail') out.failedStep ??= String(x.step);
        if (x.step === 'health checks' && x.status === 'end' && stopAt !== undefined) out.downtimeMs = now() - stopAt;
      } else if (e.type === 'migration' && x.status !== 'begin') {
        out.migrations.push({ name: String(x.name), phase: String(x.phase), status: String(x.status), ms: Number(x.ms ?? 0) });
        if (x.status === 'fail') out.failedMigration ??= String(x.name);
      }
    },
    result: () => out,
  };
}
