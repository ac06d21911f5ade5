/** status, history, resume, rollback: the commands that read or repair a manager. */
import path from 'node:path';
import type { CommandDef } from '../command.js';
import type { StatusReport } from '../../install/status.js';
import type { RollbackResult } from '../../install/rollback.js';
import type { InstallResult } from '../../install/result.js';
import type { HopRecord } from '../../install/state.js';
import { installText } from './install.js';
import { rootOption } from '../options.js';
import { fmtMs, table } from '../format.js';

interface RootOpts {
  root: string;
  notify?: string;
}
const rootOf = (o: RootOpts, cwd: string) => path.resolve(cwd, o.root);

export const statusCommand: CommandDef<RootOpts, StatusReport> = {
  name: 'status',
  command: 'status',
  describe: 'Say which state the manager is in and what to run next',
  builder: rootOption,
  run: async (o, ctx) => {
    const result = await (await import('../../install/status.js')).status({ root: rootOf(o, ctx.cwd) });
    return { result, exitCode: result.exitCode };
  },
  human: (s) =>
    [
      s.state === 'not-installed'
        ? `nothing installed under ${s.root}`
        : `${s.product} ${s.version} under ${s.root}: ${s.state}${s.healthy === false ? ', not healthy' : s.healthy ? ', healthy' : ''}`,
      ...s.services.map((x) => `  service ${x.name}: ${x.status}${x.pid ? ` (pid ${x.pid}${x.version ? `, ${x.version}` : ''})` : ''}`),
      ...s.services.flatMap((x) => (x.strays ?? []).map((p) => `  service ${x.name}: pid ${p.pid} (${p.version ?? 'unknown version'}) runs without a pidfile: uphop does not track it`)),
      ...(s.health ?? []).filter((h) => !h.ok).map((h) => `  health check ${h.name}: ${h.observation}`),
      ...(s.agents ? [`  agents: ${s.agents.current} of ${s.agents.total} on ${s.agents.target}${s.agents.failed ? `, ${s.agents.failed} failed` : ''}`] : []),
      ...(s.interrupted
        ? [
            `install of ${s.interrupted.bundle} ${s.interrupted.rollingBack ? 'was rolling back' : 'stopped'} at step "${s.interrupted.lastStep}"${s.interrupted.failed ? `: ${s.interrupted.failed}` : ''}`,
          ]
        : []),
      ...(s.lock ? [`${s.lock.activity ?? `install of ${s.lock.bundle} running`} (pid ${s.lock.pid}, since ${s.lock.since})`] : []),
      ...(s.notBegun ? [`an install of ${s.notBegun.bundle} began (${s.notBegun.since}) and was interrupted before it changed anything: run it again`] : []),
      ...(s.next ? [`next: ${s.next}`] : []),
    ].join('\n'),
};

export const historyCommand: CommandDef<RootOpts, { root: string; hops: HopRecord[] }> = {
  name: 'history',
  command: 'history',
  describe: 'List the hops applied to this manager',
  builder: rootOption,
  run: async (o, ctx) => ({ result: await (await import('../../install/status.js')).history({ root: rootOf(o, ctx.cwd) }) }),
  human: (h) =>
    h.hops.length
      ? table([['started', 'from', 'to', 'result', 'took'], ...h.hops.map((x) => [x.started, x.from, x.to, x.result, x.ms === undefined ? '' : fmtMs(x.ms)])])
      : `no hops recorded under ${h.root}`,
};

/** --json: the result names the report it wrote */
const withReport = <R>(result: R, report?: { html: string }): R => (report ? { ...result, report: report.html } : result);

const withNotify = (y: Parameters<typeof rootOption>[0]) => rootOption(y).option('notify', { type: 'string', describe: 'URL to POST JSON events to' });

export const resumeCommand: CommandDef<RootOpts, InstallResult> = {
  name: 'resume',
  command: 'resume',
  describe: 'Finish an interrupted install from its journal',
  builder: withNotify,
  async run(o, ctx) {
    const { resumeOrRestart } = await import('../../install/restart.js');
    const { reportResume } = await import('../../report/follow-up.js');
    const root = rootOf(o, ctx.cwd);
    const { result, report } = await reportResume({ root, emit: ctx.emit }, (emit) => resumeOrRestart({ root, notify: o.notify, emit }));
    return { result: withReport(result, report) };
  },
  human: installText,
};

export const rollbackCommand: CommandDef<RootOpts & { force?: boolean }, RollbackResult> = {
  name: 'rollback',
  command: 'rollback',
  describe: 'Return to the previous version: undo an interrupted install, or the last hop',
  builder: (y) => withNotify(y).option('force', { type: 'boolean', describe: 'also roll back a fresh install (leaves nothing installed)' }),
  async run(o, ctx) {
    const { rollback } = await import('../../install/rollback.js');
    const { reportRollback } = await import('../../report/follow-up.js');
    const root = rootOf(o, ctx.cwd);
    const { result, report } = await reportRollback({ root, emit: ctx.emit }, (emit) => rollback({ root, notify: o.notify, emit, force: o.force }));
    return { result: withReport(result, report) };
  },
  human: (r) => `${r.message} (${fmtMs(r.ms)})`,
};
