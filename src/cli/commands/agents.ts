/** `uphop agents [list|rollout]`: the manager's agents, and upgrading them to the installed bundle's agent version. */
import path from 'node:path';
import type { CommandDef } from '../command.js';
import type { AgentsList, AgentsResult } from '../../agents/index.js';
import type { WavePreview } from '../../agents/preview.js';
import { rootOption } from '../options.js';
import { table } from '../format.js';

interface Opts { action: 'list' | 'rollout'; root: string; dryRun: boolean }

export const agentsCommand: CommandDef<Opts, AgentsList | AgentsResult> = {
  name: 'agents',
  command: 'agents [action]',
  describe: "List the manager's agents, or roll them out to the installed bundle's agent version (a rerun resumes)",
  builder: (y) =>
    rootOption(y)
      .positional('action', { type: 'string', choices: ['list', 'rollout'], default: 'list', describe: 'list (default) or rollout' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'rollout: print the waves; change nothing' }),
  async run(o, ctx) {
    const core = await import('../../agents/index.js');
    const root = path.resolve(ctx.cwd, o.root);
    if (o.action === 'list') return { result: await core.listFleet({ root }) };
    const ac = new AbortController();
    const stop = () => ac.abort();
    process.once('SIGINT', stop); // Ctrl-C ends the current wave cleanly: a rerun resumes
    try {
      const result = await core.rolloutAgents({ root, dryRun: o.dryRun, emit: ctx.emit, signal: ac.signal });
      return { result, exitCode: result.outcome === 'stopped' ? 1 : 0 };
    } finally {
      process.off('SIGINT', stop);
    }
  },
  human: (r) => ('agents' in r ? listText(r) : rolloutText(r)),
};

function listText(r: AgentsList): string {
  if (!r.target) return `${r.product} under ${r.root}: the installed bundle carries no agent package`;
  if (!r.agents.length) return `${r.product} under ${r.root}: no agents registered`;
  const rows = r.agents.map((a) => [a.id, a.address, a.version ?? '?', a.version === r.target ? 'current' : a.state, a.last?.error ?? '']);
  return `agent version of the installed bundle: ${r.target}\n${table([['id', 'address', 'version', 'state', 'last error'], ...rows])}`;
}

/** waves as a dry run prints them, one line each */
export const waveLines = (waves: WavePreview[]) => waves.map((w, i) => `  wave ${i + 1} (${w.kind}): ${w.agents.join(', ')}`);

export function rolloutText(r: AgentsResult): string {
  const lines = [r.message];
  lines.push(...waveLines(r.waves ?? []));
  for (const o of r.rollout?.outcomes ?? []) if (o.status === 'failed') lines.push(`  ${o.id} (${o.address}) failed after ${o.attempts} attempt(s): ${o.error}`);
  if (r.outcome === 'stopped') lines.push('Fix the failing agents, then run "uphop agents rollout" again: agents already upgraded are skipped.');
  return lines.join('\n');
}
