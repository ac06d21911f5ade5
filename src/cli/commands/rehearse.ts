import path from 'node:path';
import type { CommandDef } from '../command.js';
import type { RehearsalResult } from '../../rehearse/index.js';
import { ADVISORY_CHECKS } from '../../install/advisory.js';
import { parseDuration } from '../../spec/duration.js';
import { fmtBytes, fmtMs, table } from '../format.js';
import { withInterrupt } from '../interrupt.js';
import { rootOption } from '../options.js';

interface Opts {
  bundle: string;
  root: string;
  trust?: string;
  allowUnsigned: boolean;
  work?: string;
  ignorePreflight?: string[];
  stopTimeout: string;
  portKey?: string[];
}

export const rehearseCommand: CommandDef<Opts, RehearsalResult & { report?: string }> = {
  name: 'rehearse',
  command: 'rehearse <bundle>',
  describe: 'Run the whole install on a copy of this manager (files, database, services on free ports): predicted downtime, what would fail; the live manager is not touched',
  builder: (y) =>
    rootOption(y)
      .positional('bundle', { type: 'string', demandOption: true, describe: 'bundle .tar.gz or its extracted folder' })
      .option('trust', { type: 'string', describe: "the publisher's public key the bundle must be signed with" })
      .option('allow-unsigned', { type: 'boolean', default: false, describe: 'accept a bundle without a checked signature' })
      .option('work', { type: 'string', describe: 'folder for the copy (default: the system temp folder); needs room for the root and the SQLite DB' })
      .option('ignore-preflight', { type: 'string', array: true, choices: ADVISORY_CHECKS, describe: 'skip an advisory preflight check' })
      .option('stop-timeout', { type: 'string', default: '15s', describe: 'how long a service of the copy may take to stop' })
      .option('port-key', { type: 'string', array: true, describe: 'a values key (dotted path) holding a port, moved to a free port like the keys named …port (repeatable)' }),
  async run(o, ctx) {
    const abs = (p?: string) => (p === undefined ? undefined : path.resolve(ctx.cwd, p));
    const { rehearseWithReport } = await import('../../rehearse/report.js');
    // Ctrl-C: the copy's services, files and database are removed first
    const result = await withInterrupt((signal) =>
      rehearseWithReport({
        bundle: abs(o.bundle)!,
        root: abs(o.root)!,
        trust: abs(o.trust),
        allowUnsigned: o.allowUnsigned,
        work: abs(o.work),
        ignorePreflight: o.ignorePreflight,
        stopTimeoutMs: parseDuration(o.stopTimeout),
        portKeys: o.portKey,
        signal,
        emit: ctx.emit,
      }),
    );
    return { result };
  },
  human: (r) =>
    [
      `rehearsal of ${r.product} ${r.from} -> ${r.to}: PASSED on a copy (copy took ${fmtMs(r.copy.ms)}: ${r.copy.files} files, ${fmtBytes(r.copy.bytes)}; ${r.copy.database})`,
      `predicted downtime (stop services -> healthy): ${fmtMs(r.downtimeMs)}`,
      ...(r.outage ? [`predicted outage seen by clients of ${r.outage.url}: ${fmtMs(r.outage.ms)} (${r.outage.failed} of ${r.outage.probes} probes failed)`] : []),
      table([['step', 'time'], ...r.steps.map((s) => [s.step, fmtMs(s.ms)])]),
      ...(r.migrations.length ? [table([['migration', 'phase', 'time'], ...r.migrations.map((m) => [m.name, m.phase, fmtMs(m.ms)])])] : []),
      ...r.siteEditedConfigs.map((c) => `note: ${c} was edited on this manager: the install will keep it and write ${c}.new`),
      ...(r.report ? [`report: ${r.report}`] : []),
      r.message,
    ].join('\n'),
};
