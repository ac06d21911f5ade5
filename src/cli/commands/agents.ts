/**
 * `uphop agents [list|rollout|continue|abort]`: the fleet view (a summary; the list
 * with --all or a filter), and rolling the agents out to the installed bundle's
 * agent version, with flags that override the bundle's policy for one run.
 */
import path from 'node:path';
import type { CommandDef } from '../command.js';
import type { AgentsList, AgentsResult } from '../../agents/index.js';
import type { PolicyOverrides } from '../../agents/policy.js';
import type { WavePreview } from '../../agents/preview.js';
import { rootOption } from '../options.js';
import { table } from '../format.js';

type Action = 'list' | 'rollout' | 'continue' | 'abort';
interface Opts extends PolicyOverrides {
  action: Action;
  root: string;
  dryRun: boolean;
  all: boolean;
  json: boolean;
  only?: string[];
  except?: string[];
  agentVersion?: string;
  state?: string;
  group?: string;
  status?: 'upgraded' | 'failed' | 'offline' | 'skipped';
}

const ROLLOUT_FLAGS = {
  canary: 'rollout: canary share or count for this run (e.g. 5% or 3)',
  batch: 'rollout: agents per wave for this run',
  concurrency: 'rollout: agents in flight at once for this run',
  delay: 'rollout: pause between waves for this run (e.g. 30s)',
  'max-failures': 'rollout: failures tolerated across all waves for this run (count or share)',
  'max-consecutive-failures': 'rollout: failures in a row that stop this run',
} as const;

export const agentsCommand: CommandDef<Opts, AgentsList | AgentsResult> = {
  name: 'agents',
  command: 'agents [action]',
  describe: "The manager's agents (a summary; --all lists them), or roll them out to the installed bundle's agent version (a rerun resumes; continue/abort answer a paused one)",
  builder: (y) => {
    let b = rootOption(y)
      .positional('action', { type: 'string', choices: ['list', 'rollout', 'continue', 'abort'], default: 'list', describe: 'list (default), rollout, continue or abort' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'rollout: print the waves; change nothing' })
      .option('all', { type: 'boolean', default: false, describe: 'list: every agent after the summary' })
      .option('agent-version', { type: 'string', describe: 'list: only agents reporting this version' })
      .option('state', { type: 'string', describe: 'list: only agents in this state (ok, failed, offline, ...)' })
      .option('group', { type: 'string', describe: 'list: only agents of this group' })
      .option('status', { type: 'string', choices: ['upgraded', 'failed', 'offline', 'skipped'], describe: 'list: only agents whose last rollout outcome is this' })
      .option('only', { type: 'string', array: true, describe: 'rollout: only agents of these groups (comma-separated or repeated)' })
      .option('except', { type: 'string', array: true, describe: 'rollout: not the agents of these groups' });
    for (const [flag, describe] of Object.entries(ROLLOUT_FLAGS)) b = b.option(flag, { type: 'string', describe });
    return b.option('pause', { type: 'boolean', describe: 'rollout: stop after the canary until "uphop agents continue" (--no-pause: do not), for this run' });
  },
  async run(o, ctx) {
    const core = await import('../../agents/index.js');
    const root = path.resolve(ctx.cwd, o.root);
    if (o.action === 'list') {
      const filter = { version: o.agentVersion, state: o.state, group: o.group, status: o.status };
      return { result: await core.listFleet({ root, filter: Object.values(filter).some((v) => v !== undefined) ? filter : undefined }) };
    }
    const overrides: PolicyOverrides = {};
    for (const flag of [...Object.keys(ROLLOUT_FLAGS), 'pause'] as (keyof PolicyOverrides)[]) if (o[flag] !== undefined) overrides[flag] = o[flag];
    const ac = new AbortController();
    const stop = () => ac.abort();
    process.once('SIGINT', stop); // Ctrl-C stops it: the rerun resumes, asking the agents that were in flight first
    try {
      const req = { root, dryRun: o.dryRun, emit: ctx.emit, signal: ac.signal, overrides, only: o.only, except: o.except };
      if (o.action === 'abort') return { result: await core.abortRollout(req) };
      const { reportAgents } = await import('../../report/follow-up.js');
      const { result, report } = await reportAgents({ root, emit: ctx.emit }, (emit) => (o.action === 'continue' ? core.continueRollout : core.rolloutAgents)({ ...req, emit }));
      return { result: report ? { ...result, report: report.html } : result, exitCode: result.outcome === 'stopped' ? 1 : 0 };
    } finally {
      process.off('SIGINT', stop);
    }
  },
  human: (r, o) => ('agents' in r ? listText(r, o) : rolloutText(r)),
  /** --json on a list: the summary, then one line per agent, so 10,000 agents stream */
  jsonLines: (r) => ('agents' in r ? agentsJsonLines(r) : undefined),
};

function* agentsJsonLines(r: AgentsList): Iterable<unknown> {
  const { agents, ...head } = r;
  yield { type: 'summary', ...head, listed: agents.length };
  for (const a of agents) yield { type: 'agent', ...a };
}

/** the summary; the list too with --all or a filter */
export function listText(r: AgentsList, o: Partial<Opts> = {}): string {
  if (!r.target) return `${r.product} under ${r.root}: the installed bundle carries no agent package`;
  const s = r.summary;
  if (!s?.total) return `${r.product} under ${r.root}: no agents registered`;
  const lines = [
    `${s.total} agent(s); ${s.current} on ${r.target}, the agent version of the installed bundle${s.phase === 'paused' ? ' (the rollout is paused after its canary: uphop agents continue | abort)' : ''}`,
  ];
  lines.push(table([['version', 'state', 'agents'], ...s.byVersion.map((v) => [v.version ?? '?', v.state, String(v.agents)])]).replace(/^/gm, '  '));
  if (s.failures.length) {
    lines.push('last rollout, not upgraded:');
    for (const f of s.failures.slice(0, 20)) lines.push(`  ${f.agents} ${f.status}: ${f.reason} (e.g. ${f.example})`);
    if (s.failures.length > 20) lines.push(`  ... and ${s.failures.length - 20} other reason(s)`);
  }
  const filtered = [o.agentVersion, o.state, o.group, o.status].some((v) => v !== undefined);
  if (!o.all && !filtered) {
    lines.push('(uphop agents --all lists every agent; --agent-version, --state, --group or --status select some)');
    return lines.join('\n');
  }
  const rows = r.agents.map((a) => [a.id, a.address, a.version ?? '?', a.version === r.target ? 'current' : a.state, a.group ?? '', a.last?.error ?? '']);
  lines.push(rows.length ? table([['id', 'address', 'version', 'state', 'group', 'last error'], ...rows]) : 'no agent matches');
  return lines.join('\n');
}

/** waves as a dry run prints them, one line each; a big wave names its first agents only */
export const waveLines = (waves: WavePreview[]) =>
  waves.map((w, i) => `  wave ${i + 1} (${w.kind}): ${w.agents.slice(0, 10).join(', ')}${w.agents.length > 10 ? `, ... (${w.agents.length} agents)` : ''}`);

export function rolloutText(r: AgentsResult): string {
  const lines = [r.message];
  if (r.held || r.unselected) lines.push(`  left out: ${r.held ?? 0} in a held group (agents.hold_groups), ${r.unselected ?? 0} not selected by --only/--except`);
  lines.push(...waveLines(r.waves ?? []));
  const failed = (r.rollout?.outcomes ?? []).filter((o) => o.status === 'failed' || o.status === 'offline');
  for (const o of failed.slice(0, 20)) lines.push(`  ${o.id} (${o.address}) ${o.status === 'offline' ? 'offline' : 'failed'} after ${o.attempts} attempt(s): ${o.error}`);
  if (failed.length > 20) lines.push(`  ... and ${failed.length - 20} more (uphop agents --status failed lists them)`);
  if (r.outcome === 'stopped') lines.push('Fix the failing agents, then run "uphop agents rollout" again: agents already upgraded are skipped.');
  return lines.join('\n');
}
