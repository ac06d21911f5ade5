import path from 'node:path';
import type { Argv } from 'yargs';
import type { CommandDef } from '../command.js';
import type { InstallResult } from '../../install/result.js';
import type { DryRunPlan } from '../../install/dry-run.js';
import { ADVISORY_CHECKS } from '../../install/advisory.js';
import { parseDuration } from '../../spec/duration.js';
import { usageError } from '../../errors.js';
import { fmtMs } from '../format.js';
import { rolloutText, waveLines } from './agents.js';
import { rootOption } from '../options.js';

/** the flags of applying bundles, shared by install and upgrade */
export const withApplyOptions = (y: Argv) =>
  y
    .option('rollback', { type: 'boolean', default: true, describe: 'roll back automatically on failure (--no-rollback leaves it for resume/rollback)' })
    .option('notify', { type: 'string', describe: 'URL to POST JSON events to (Slack-compatible text)' })
    .option('ignore-preflight', { type: 'string', array: true, choices: ADVISORY_CHECKS, describe: 'skip an advisory preflight check' })
    .option('stop-timeout', { type: 'string', describe: 'how long a service may take to stop before it is killed (default: services.stop_timeout of the site values, else 15s)' })
    .option('agents', { type: 'boolean', default: true, describe: "roll the bundle's agent package out to the fleet once the manager is healthy (--no-agents: later, with uphop agents rollout)" });

export function checkNotifyUrl(url: string | undefined) {
  if (url && !/^https?:\/\//.test(url)) throw usageError('USAGE', `--notify needs an http(s) URL, not "${url}".`, 'Example: --notify https://hooks.slack.com/services/...');
}

interface Opts {
  bundle: string;
  root: string;
  values?: string;
  dryRun: boolean;
  trust?: string;
  allowUnsigned: boolean;
  rollback: boolean;
  notify?: string;
  ignorePreflight?: string[];
  stopTimeout?: string;
  agents: boolean;
}

export const installCommand: CommandDef<Opts, InstallResult> = {
  name: 'install',
  command: 'install <bundle>',
  describe: 'Apply a bundle in place: verify, preflight, migrate, restart, check health; roll back on failure',
  builder: (y) =>
    withApplyOptions(
      rootOption(y)
        .positional('bundle', { type: 'string', demandOption: true, describe: 'bundle .tar.gz or its extracted folder' })
        .option('values', { type: 'string', describe: 'site values (YAML); required on a fresh install, kept in etc/<product>/values.yaml' })
        .option('dry-run', { type: 'boolean', default: false, describe: 'print every step, file, migration and config; change nothing' })
        .option('trust', { type: 'string', describe: "the publisher's public key the bundle must be signed with" })
        .option('allow-unsigned', { type: 'boolean', default: false, describe: 'accept a bundle without a checked signature' }),
    ),
  async run(o, ctx) {
    const abs = (p?: string) => (p === undefined ? undefined : path.resolve(ctx.cwd, p));
    checkNotifyUrl(o.notify);
    const { install } = await import('../../install/index.js');
    const { reportInstall } = await import('../../report/apply.js');
    const stopTimeoutMs = o.stopTimeout === undefined ? undefined : parseDuration(o.stopTimeout);
    const { result, report } = await reportInstall({ root: abs(o.root)!, bundle: o.bundle, emit: ctx.emit }, (emit) =>
      install({
        bundle: abs(o.bundle)!,
        root: abs(o.root)!,
        values: abs(o.values),
        dryRun: o.dryRun,
        trust: abs(o.trust),
        allowUnsigned: o.allowUnsigned,
        noRollback: !o.rollback,
        notify: o.notify,
        ignorePreflight: o.ignorePreflight,
        stopTimeoutMs,
        emit,
        agents: o.agents,
      }),
    );
    // the manager is installed either way; a stopped agent rollout is the part that failed
    return { result: report ? { ...result, report: report.html } : result, exitCode: result.agents?.outcome === 'stopped' ? 1 : 0 };
  },
  human: (r) => installText(r),
};

export function installText(r: InstallResult): string {
  if (r.outcome !== 'dry-run' || !r.plan) return `${r.message} (${fmtMs(r.ms)})${configNotes(r)}${r.agents ? `\n${rolloutText(r.agents)}` : ''}`;
  const p = r.plan;
  return [
    `dry run of ${r.bundle}: ${r.from} -> ${r.to}`,
    `steps: ${p.steps.join(' -> ')}`,
    'packages:',
    ...p.components.map((c) => `  ${c.name} ${c.from ?? '(new)'} -> ${c.to}  (${c.file})`),
    'migrations:',
    ...(p.migrations.length ? p.migrations.map((m) => `  ${m.phase.padEnd(4)} ${m.name}`) : ['  none pending']),
    'configs:',
    ...p.configs.map((c) => `  ${c.dest}: ${c.action}`),
    `stop: ${p.stop.join(', ') || 'none'}; start: ${p.start.join(', ') || 'none'}`,
    ...p.health.map((h) => `health ${h}`),
    ...agentLines(p.agents),
    r.message,
  ].join('\n');
}

function agentLines(a: DryRunPlan['agents']): string[] {
  if (!a) return ['agents: none'];
  if (a.skip) return [`agents: not rolled out (--no-agents); later: uphop agents rollout`];
  if (!a.waves) return [`agents: upgrade to ${a.version} after the manager is healthy (no agents registered yet)`];
  if (!a.waves.length) return [`agents: every registered agent already runs ${a.version}`];
  return [`agents: upgrade to ${a.version} after the manager is healthy, in ${a.waves.length} wave(s):`, ...waveLines(a.waves)];
}

const configNotes = (r: InstallResult) => {
  const kept = r.configs.filter((c) => c.action === 'kept-site-edit');
  return kept.length ? '\n' + kept.map((c) => `note: kept your edited ${c.dest}; the new version is ${c.newFile}`).join('\n') : '';
};
