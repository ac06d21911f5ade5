/** What a report is about, in words: the page's heading and, with the outcome, its title. */
import type { ReportKind } from './types.js';

const WHAT: Record<ReportKind, string> = {
  install: 'Install',
  upgrade: 'Upgrade',
  rehearse: 'Rehearsal',
  'test-path': 'Path test',
  resume: 'Resumed install',
  rollback: 'Rollback',
  agents: 'Agent rollout',
};

/** e.g. "Rollback of beacon 4.2.0 -> 4.1.1"; a rollout goes from the agents' versions to the bundle's agent version */
export function headline(r: { kind: ReportKind; product: string; from: string; to: string }): string {
  const what = `${WHAT[r.kind] ?? r.kind} of ${r.product}${r.kind === 'agents' ? ' agents' : ''}`;
  return `${what} ${r.from} -> ${r.to}`;
}

export const reportTitle = (r: { kind: ReportKind; product: string; from: string; to: string; outcome: string }) => `${headline(r)}: ${r.outcome}`;
