/** test-path's files: JUnit XML, the Markdown summary, and its report (HTML + JSON). */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Emit } from '../events.js';
import { reported } from '../report/run.js';
import { junitXml, markdown } from './junit.js';
import { testPath, type TestPathOptions, type TestPathResult } from './index.js';

export interface TestPathRun extends TestPathOptions {
  junit?: string;
  markdown?: string;
  /** where the HTML/JSON report goes */
  reports: string;
  emit: Emit;
}

export type TestPathOutput = TestPathResult & { junit?: string; markdown?: string; report?: string };

export async function testPathWithOutputs(o: TestPathRun): Promise<TestPathOutput> {
  await mkdir(o.reports, { recursive: true });
  const { result, report } = await reported<TestPathResult>(
    {
      dir: o.reports,
      root: o.reports,
      kind: 'test-path',
      // the product is known once the path is planned (from the bundles, when --product is not given)
      name: (events) => `${o.product ?? (events.find((e) => e.type === 'test-path-plan') as { product?: string } | undefined)?.product ?? 'path'}-${o.from}-to-${o.to}-${o.db}`,
      emit: o.emit,
      summary: (r) =>
        r && {
          product: r.product,
          from: r.from,
          to: r.to,
          outcome: r.outcome === 'passed' ? 'succeeded' : 'failed',
          facts: {
            database: r.db,
            seed: r.seeded,
            'rows not compared': r.ignoredData.join(', ') || 'none',
            'cases passed': r.cases.filter((c) => c.ok).length,
            'cases failed': r.cases.filter((c) => !c.ok).length,
          },
          notes: r.cases.filter((c) => !c.ok).map((c) => `FAILED ${c.hop} ${c.direction}${c.migration ? ` (migration ${c.migration})` : ''}: ${c.message}`),
        },
    },
    (emit) => testPath({ ...o, emit }),
  );
  const out: TestPathOutput = { ...result, report: report?.html };
  const suite = `${result.product} ${result.from} -> ${result.to} (${o.db})`;
  if (o.junit) {
    await mkdir(path.dirname(o.junit), { recursive: true });
    await writeFile(o.junit, junitXml(suite, result.cases, result.ms));
    out.junit = o.junit;
  }
  const md = o.markdown ?? (o.junit ? o.junit.replace(/\.xml$/, '') + '.md' : undefined);
  if (md) {
    await writeFile(
      md,
      markdown(`uphop test-path: ${suite}: ${result.outcome}`, result.cases, [
        ['database', result.db],
        ['seed', result.seeded],
        ['hops', result.hops.join(', ')],
        ['rows not compared (schema only)', result.ignoredData.join(', ') || 'none'],
      ]),
    );
    out.markdown = md;
  }
  return out;
}
