/** What a report holds (its JSON file is exactly this), derived from the events of one run. */
import type { TimedEvent } from './record.js';

/** the command that ran: resume finishes an install, rollback returns to the version before, agents rolls the fleet out */
export type ReportKind = 'install' | 'upgrade' | 'rehearse' | 'test-path' | 'resume' | 'rollback' | 'agents';

export interface ReportError {
  code: string;
  message: string;
  /** what to do next */
  hint?: string;
  step?: string;
}

/** what the command that ran says about itself; the rest comes from the events */
export interface RunRecord {
  kind: ReportKind;
  product: string;
  from: string;
  to: string;
  outcome: 'succeeded' | 'failed';
  started: number;
  finished: number;
  events: TimedEvent[];
  error?: ReportError;
  configs?: { dest: string; action: string; newFile?: string }[];
  /** a line or two the command wants on top (e.g. a rehearsal's copy time) */
  notes?: string[];
  /** extra facts by name, shown as a table (copy time, predicted downtime, …) */
  facts?: Record<string, string | number>;
  /** the agent rollout's totals, when one ran */
  agents?: { upgraded: number; failed: number; total: number; message: string };
}

export interface StepBar {
  /** which hop it belongs to (0 when there is one) */
  hop: number;
  step: string;
  status: 'end' | 'fail' | 'undo' | 'skip' | 'running';
  /** ms from the start of the run */
  start: number;
  end: number;
  detail?: string;
}

export interface Window {
  hop: number;
  label: string;
  start: number;
  end: number;
  /** false when the window never closed (the new version never became healthy) */
  closed: boolean;
}

export interface MigrationRow {
  hop: number;
  name: string;
  phase: string;
  status: string;
  ms: number;
  start: number;
}

export interface RolloutPoint {
  t: number;
  done: number;
  total?: number;
  /** of the agents done so far (the rest of done were offline) */
  upgraded?: number;
  failed?: number;
}

export interface Report {
  format: 1;
  kind: ReportKind;
  title: string;
  product: string;
  from: string;
  to: string;
  outcome: 'succeeded' | 'failed';
  started: string;
  finished: string;
  ms: number;
  hops: { index: number; label: string; start: number; end: number; status: string }[];
  steps: StepBar[];
  downtime: Window[];
  downtimeMs: number;
  migrations: MigrationRow[];
  configs: { dest: string; action: string; newFile?: string }[];
  rollout?: { waves: { t: number; label: string }[]; points: RolloutPoint[]; upgraded?: number; failed?: number; total?: number; message?: string };
  errors: ReportError[];
  warnings: string[];
  notes: string[];
  facts: Record<string, string | number>;
  events: TimedEvent[];
}
