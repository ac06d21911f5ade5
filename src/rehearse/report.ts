/** A rehearsal's report, in the live manager's reports folder (the one file a rehearsal adds there). */
import path from 'node:path';
import type { Emit } from '../events.js';
import { hopOfFile } from '../report/apply.js';
import { fmtMs } from '../report/escape.js';
import { reported } from '../report/run.js';
import { reportsDir } from '../report/store.js';
import { rehearse, type RehearsalResult, type RehearseOptions } from './index.js';

export async function rehearseWithReport(o: RehearseOptions & { emit: Emit }): Promise<RehearsalResult & { report?: string }> {
  const { result, report } = await reported<RehearsalResult>(
    {
      dir: reportsDir(path.resolve(o.root)),
      root: o.root,
      kind: 'rehearse',
      name: path.basename(o.bundle).replace(/\.tar\.gz$/, ''),
      emit: o.emit,
      summary: (r) =>
        r
          ? {
              product: r.product,
              from: r.from,
              to: r.to,
              configs: r.configs,
              notes: ['A rehearsal on a copy of this manager: the live manager, its database and its services were not touched.'],
              facts: {
                'predicted downtime': fmtMs(r.downtimeMs),
                ...(r.outage ? { 'predicted outage (health URL)': `${fmtMs(r.outage.ms)} (${r.outage.url})` } : {}),
                'copy took': fmtMs(r.copy.ms),
                'files copied': `${r.copy.files} (${r.copy.bytes} bytes)`,
                'database copy': r.copy.database,
                'ports of the copy': r.ports.map((p) => `${p.key} ${p.from} -> ${p.to}`).join(', ') || 'none',
              },
            }
          : { ...hopOfFile(o.bundle), notes: ['A rehearsal on a copy of this manager: the live manager, its database and its services were not touched.'] },
    },
    (emit) => rehearse({ ...o, emit }),
  );
  return { ...result, report: report?.html };
}
