/**
 * Reports of the commands that pick up or follow an install: resume (an install
 * finished from its journal), rollback (back to the version before the hop) and
 * an agent rollout. The core emits a plan event (resume-plan, rollback-plan,
 * agents-plan) once it knows what it is about to change: the report's name, and
 * its versions when the run fails and leaves no result.
 */
import type { Emit } from '../events.js';
import type { AgentsResult } from '../agents/api.js';
import type { InstallResult } from '../install/result.js';
import type { RollbackResult } from '../install/rollback.js';
import { agentsOf, hopOfFile, installedSummary, onManager } from './apply.js';
import type { Summary } from './run.js';
import type { RunRecord } from './types.js';

interface Plan {
  bundle?: string;
  product?: string;
  from?: string | string[];
  to?: string;
}

const planOf = (events: RunRecord['events'], type: string) => events.find((e) => e.type === type) as Plan | undefined;

/** the plan's versions, else what the bundle's name says */
function hopOf(p: Plan | undefined): Pick<Summary, 'product' | 'from' | 'to'> {
  if (!p?.product) return hopOfFile(p?.bundle ?? '');
  return { product: p.product, from: [p.from ?? '?'].flat().join(', ') || '?', to: p.to ?? '?' };
}

interface On {
  root: string;
  emit: Emit;
}

export function reportResume(o: On, fn: (emit: Emit) => Promise<InstallResult>) {
  return onManager<InstallResult>(
    {
      ...o,
      kind: 'resume',
      name: (events) => planOf(events, 'resume-plan')?.bundle ?? 'install',
      summary: (r, _e, events) => (r ? installedSummary(r) : hopOf(planOf(events, 'resume-plan'))),
    },
    fn,
  );
}

export function reportRollback(o: On, fn: (emit: Emit) => Promise<RollbackResult>) {
  return onManager<RollbackResult>(
    {
      ...o,
      kind: 'rollback',
      name: (events) => planOf(events, 'rollback-plan')?.bundle ?? 'hop',
      summary: (r, _e, events) => (r ? { product: r.product, from: r.from, to: r.to } : hopOf(planOf(events, 'rollback-plan'))),
    },
    fn,
  );
}

/** a rollout that asked agents (its plan was emitted); a dry run, "nothing to do" or no agents change nothing */
export function reportAgents(o: On, fn: (emit: Emit) => Promise<AgentsResult>) {
  return onManager<AgentsResult>(
    {
      ...o,
      kind: 'agents',
      name: (events) => `to-${planOf(events, 'agents-plan')?.to ?? 'agents'}`,
      summary: (r, _e, events) => {
        const plan = planOf(events, 'agents-plan');
        if (!plan || (r && !r.rollout)) return undefined;
        const x = r?.rollout;
        const facts = x && { waves: x.waves, 'already on it': x.skipped, offline: x.offline, 'not tried': x.pending, 'manager bundle': plan.bundle ?? '' };
        return { ...hopOf(plan), agents: agentsOf(r), facts, outcome: r?.outcome === 'stopped' ? 'failed' : 'succeeded' };
      },
    },
    fn,
  );
}
