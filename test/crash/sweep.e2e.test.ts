/**
 * The randomized kill sweep (see sweep.ts): per database, installs of a hop of
 * Beacon and of "tally" (a tiny product made here) killed with SIGKILL at random
 * instants over the whole install, at journal records, in a service, or all at
 * once (a power cut); then status + resume or status + rollback; every case must
 * end healthy on the expected version, data unchanged, one process per service,
 * no temporary files. The seed is printed; UPHOP_CRASH_SEED=<seed> reproduces.
 *
 * UPHOP_CRASH_N = cases per database (CI: 4, one of each kind). `npm run test:crash -- --n 200`
 * runs a long sweep (scripts/test-crash.mjs) and prints the summary.
 */
import { appendFileSync } from 'node:fs';
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { bundle, type DbKind } from '../helpers/manager.js';
import { serviceAvailable } from '../helpers/services.js';
import { buildTally, type TallyBundles } from './tally.js';
import { describeCase, Manager, newTally, reset, rng, runCase, type Case, type Half, type Kind, type ProductDef } from './sweep.js';

const SEED = Number(process.env.UPHOP_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const N = Number(process.env.UPHOP_CRASH_N ?? 4);
const DBS = (process.env.UPHOP_CRASH_DBS ?? 'sqlite,pg,mysql').split(',') as DbKind[];
console.log(`crash sweep seed ${SEED} (reproduce: UPHOP_CRASH_SEED=${SEED} npm run test:crash), ${N} cases per database`);

const beacon = (): ProductDef => ({
  name: 'beacon',
  setup: [bundle('none-to-3.4.2'), bundle('3.4.2-to-4.0.1')],
  hop: bundle('4.0.1-to-4.1.1'),
  hopId: 'beacon-4.0.1-to-4.1.1',
  from: '4.0.1',
  to: '4.1.1',
  services: ['rest-service', 'worker'],
  async seed(sb) {
    await sb
      .db()('items')
      .insert(Array.from({ length: 25 }, (_, i) => ({ name: `item ${i} of seed ${SEED}` })));
  },
});

let tallyBuilt: TallyBundles | undefined;
const tally = (): ProductDef => {
  tallyBuilt ??= buildTally();
  return {
    name: 'tally',
    setup: [tallyBuilt.fresh],
    hop: tallyBuilt.hop,
    hopId: 'tally-1.0.0-to-1.1.0',
    from: '1.0.0',
    to: '1.1.0',
    services: ['web'],
    values(sb) {
      if (sb.values.db.client === 'sqlite') sb.values.db.connection.filename = 'var/lib/tally/tally.db';
    },
    async seed(sb) {
      await sb
        .db()('notes')
        .insert(Array.from({ length: 40 }, (_, i) => ({ id: i + 1, body: `note ${i} ${'x'.repeat(i)}` })));
    },
  };
};

// per database, a fixed schedule of (kind, product, recovery): the first 4 (the CI run) have each
// kind once, the first 16 every combination, and the 24-case cycle weighs the kills spread over
// the whole install (time, journal) twice
const B = 'beacon',
  T = 'tally';
const SCHEDULE: [Kind, string, Half][] = [
  ['time', B, 'resume'],
  ['journal', T, 'resume'],
  ['service', B, 'rollback'],
  ['powercut', T, 'rollback'],
  ['time', T, 'rollback'],
  ['journal', B, 'rollback'],
  ['service', T, 'resume'],
  ['powercut', B, 'resume'],
  ['time', B, 'rollback'],
  ['journal', T, 'rollback'],
  ['service', B, 'resume'],
  ['powercut', T, 'resume'],
  ['time', T, 'resume'],
  ['journal', B, 'resume'],
  ['service', T, 'rollback'],
  ['powercut', B, 'rollback'],
  ['time', B, 'resume'],
  ['journal', B, 'resume'],
  ['time', T, 'rollback'],
  ['journal', T, 'rollback'],
  ['time', T, 'resume'],
  ['journal', T, 'resume'],
  ['time', B, 'rollback'],
  ['journal', B, 'rollback'],
];
const tally$ = newTally();
afterAll(() => {
  const line = `crash sweep seed ${SEED}: kills ${tally$.kills}, healthy on new ${tally$.healthyNew}, healthy on old ${tally$.healthyOld}, broken ${tally$.broken}, left for the next run after a status-only recovery ${tally$.leftForNextRun} (${Object.entries(
    tally$.byKind,
  )
    .map(([k, n]) => `${k} ${n}`)
    .join(', ')})`;
  console.log(line);
  if (process.env.UPHOP_CRASH_SUMMARY) appendFileSync(process.env.UPHOP_CRASH_SUMMARY, JSON.stringify({ seed: SEED, ...tally$ }) + '\n');
  if (tallyBuilt) rmSync(tallyBuilt.dir, { recursive: true, force: true });
});

// the databases run side by side: the work is in the child processes, and each has its own managers
describe.concurrent('kill sweep', async () => {
  for (const db of DBS) {
    const available = db === 'sqlite' || (await serviceAvailable(db === 'pg' ? 'pg' : 'mysql'));
    it.skipIf(!available)(
      `${N} kills of Beacon and tally installs on ${db} end healthy, data unchanged`,
      async () => {
        const random = rng(SEED + ['sqlite', 'pg', 'mysql'].indexOf(db) * 7919);
        const managers: Record<string, Manager | undefined> = {};
        const manager = async (p: ProductDef) => {
          let m = managers[p.name];
          for (let tries = 1; !m; tries++) {
            m = new Manager(p, db);
            try {
              await m.open();
            } catch (e) {
              // setting up the old version is not what is under test; on a loaded machine it gets one more chance
              await m.close();
              m = undefined;
              if (tries >= 2) throw e;
              const text = (e as Error).message;
              console.warn(
                `seed ${SEED}: setting up ${p.name} on ${db} failed, trying once more: ${
                  text
                    .split('\n')
                    .filter((l) => /^(error|FAIL)/.test(l))
                    .join(' ') || text.slice(0, 500)
                }`,
              );
            }
          }
          managers[p.name] = m;
          return m;
        };
        const failures: string[] = [];
        const journalCases: Record<string, number> = {};
        try {
          for (let i = 0; i < N; i++) {
            const [kind, product, half] = SCHEDULE[i % SCHEDULE.length];
            const p = product === B ? beacon() : tally();
            const m = await manager(p);
            const c: Case = { index: i, kind, half, delayMs: Math.round(random() * m.durationMs), record: 1 + Math.floor(random() * m.journalRecords), seed: Math.floor(random() * 2 ** 31) };
            // a long sweep visits every journal record in turn
            if (kind === 'journal' && N >= 40) c.record = 1 + ((journalCases[p.name] = (journalCases[p.name] ?? -1) + 1) % m.journalRecords);
            const r = await runCase(m, c);
            if (process.env.UPHOP_CRASH_PROGRESS) process.stderr.write(`${r.ended.padEnd(6)} ${describeCase(m, c)}\n`);
            tally$.kills++;
            tally$.byKind[kind] = (tally$.byKind[kind] ?? 0) + 1;
            if (r.ended === 'broken') {
              tally$.broken++;
              const msg = `seed ${SEED}, ${describeCase(m, c)}: ${r.problems.join('; ')}\n    ${r.transcript.join('\n    ')}`;
              failures.push(msg);
              tally$.failures.push(msg);
              console.error(`BROKEN ${msg}`);
              // start this product afresh, so one broken manager does not fail every case after it
              await m.close();
              managers[p.name] = undefined;
              continue;
            }
            if (r.ended === 'new') tally$.healthyNew++;
            else tally$.healthyOld++;
            const after = await reset(m);
            if (after.length) {
              failures.push(`seed ${SEED}, ${describeCase(m, c)}: back to ${m.p.from} for the next case: ${after.join('; ')}`);
              await m.close();
              managers[p.name] = undefined;
            }
          }
        } finally {
          for (const m of Object.values(managers)) {
            tally$.leftForNextRun += m?.leftForNextRun ?? 0;
            await m?.close();
          }
        }
        expect(failures).toEqual([]);
      },
      3_600_000,
    );
  }
});
