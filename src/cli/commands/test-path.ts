import path from 'node:path';
import type { CommandDef } from '../command.js';
import type { TestPathOutput } from '../../testpath/output.js';
import { usageError } from '../../errors.js';
import { fmtMs } from '../format.js';
import { storeOptionsOf, withStoreOptions, type StoreCliOpts } from './store-options.js';
import { withInterrupt } from '../interrupt.js';

interface Opts extends StoreCliOpts {
  from: string;
  to: string;
  bundles?: string;
  store?: string;
  db: 'sqlite' | 'postgres' | 'mysql';
  dbUrl?: string;
  junit?: string;
  markdown?: string;
  seed?: string;
  values?: string;
  rows: number;
  ignoreData?: string[];
  portKey?: string[];
  reports?: string;
  trust?: string;
  allowUnsigned: boolean;
  product?: string;
}

export const testPathCommand: CommandDef<Opts, TestPathOutput> = {
  name: 'test-path',
  command: 'test-path',
  describe: 'In CI: install every hop from A to B on a seeded sandbox manager, roll each back and check the schema and data come back unchanged',
  builder: (y) =>
    withStoreOptions(
      y
        .option('from', { type: 'string', demandOption: true, describe: 'the version the sandbox starts at' })
        .option('to', { type: 'string', demandOption: true, describe: 'the version to reach' })
        .option('bundles', { type: 'string', describe: 'folder of bundle files (with the fresh-install bundle)' })
        .option('store', { type: 'string', describe: 'or a store to fetch them from' })
        .option('db', { choices: ['sqlite', 'postgres', 'mysql'] as const, default: 'sqlite' as const, describe: 'the sandbox database' })
        .option('db-url', {
          type: 'string',
          describe:
            'server for postgres/mysql (default UPHOP_TEST_DB_URL, else postgres://postgres@127.0.0.1:5432/test or mysql://root@127.0.0.1:3306); a temporary schema/database is created and dropped',
        })
        .option('values', { type: 'string', describe: "the product's site values to start from (ports and db are replaced)" })
        .option('seed', { type: 'string', describe: "a seed hook instead of the bundle's hooks.seed" })
        .option('rows', { type: 'number', default: 3000, describe: 'rows the seed hook is asked for (UPHOP_SEED_ROWS)' })
        .option('ignore-data', {
          type: 'string',
          array: true,
          describe: "a table whose rows the product's services keep changing (heartbeats): its schema is compared, its rows are not; adds to the bundles' test_path.ignore_data",
        })
        .option('port-key', { type: 'string', array: true, describe: 'a values key (dotted path) holding a port, moved to a free port like the keys named …port (repeatable)' })
        .option('junit', { type: 'string', describe: 'write JUnit XML here (one testcase per hop and direction)' })
        .option('markdown', { type: 'string', describe: 'write the Markdown summary here (default: beside --junit)' })
        .option('reports', { type: 'string', describe: 'folder for the HTML/JSON report (default: uphop-reports)' })
        .option('trust', { type: 'string', describe: "the publisher's public key the bundles must be signed with" })
        .option('allow-unsigned', { type: 'boolean', default: false, describe: 'accept unsigned bundles' })
        .option('product', { type: 'string', describe: 'product name when the bundles cover several' }),
    ),
  async run(o, ctx) {
    if (!!o.bundles === !!o.store) throw usageError('USAGE', 'Give exactly one of --bundles and --store.', 'Example: uphop test-path --from 3.4.2 --to 4.2.0 --bundles out');
    const abs = (p?: string) => (p === undefined ? undefined : path.resolve(ctx.cwd, p));
    const { testPathWithOutputs } = await import('../../testpath/output.js');
    // Ctrl-C or a cancelled CI job: the sandbox's services, database and files are removed first
    const result = await withInterrupt((signal) =>
      testPathWithOutputs({
        from: o.from,
        to: o.to,
        bundles: abs(o.bundles),
        store: o.store,
        storeOptions: storeOptionsOf(o, ctx),
        db: o.db,
        dbUrl: o.dbUrl ?? ctx.env.UPHOP_TEST_DB_URL,
        values: abs(o.values),
        seed: abs(o.seed),
        rows: o.rows,
        ignoreData: o.ignoreData,
        portKeys: o.portKey,
        junit: abs(o.junit),
        markdown: abs(o.markdown),
        reports: abs(o.reports) ?? path.join(ctx.cwd, 'uphop-reports'),
        trust: abs(o.trust),
        allowUnsigned: o.allowUnsigned,
        product: o.product,
        signal,
        emit: ctx.emit,
      }),
    );
    return { result, exitCode: result.outcome === 'passed' ? 0 : 1 };
  },
  human: (r) =>
    [
      `test-path ${r.product} ${r.from} -> ${r.to} on ${r.db}: ${r.outcome.toUpperCase()} (${fmtMs(r.ms)}); ${r.seeded}`,
      ...(r.ignoredData.length ? [`  rows not compared after a rollback (the product's services write them): ${r.ignoredData.join(', ')}`] : []),
      ...r.cases.map((c) => `  ${c.ok ? 'pass' : 'FAIL'} ${c.hop} ${c.direction} (${fmtMs(c.ms)})${c.ok ? '' : `${c.migration ? ` migration ${c.migration}:` : ''} ${c.message}`}`),
      ...([r.junit && `junit: ${r.junit}`, r.markdown && `summary: ${r.markdown}`, r.report && `report: ${r.report}`].filter(Boolean) as string[]),
    ].join('\n'),
};
