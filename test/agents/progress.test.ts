/**
 * The progress log: lines in the order things happened, every outcome kept however
 * many agents end at once, a line torn by a kill ignored, the log compacted to one
 * line per agent at the end, and the .json of older uphop versions still read.
 */
import { mkdtemp, readFile, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { emptyProgress, progressLogFile, ProgressLog, readProgress } from '../../src/agents/progress.js';
import type { AgentOutcome } from '../../src/agents/types.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'uphop-progress-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const outcome = (id: string, status: AgentOutcome['status'] = 'upgraded'): AgentOutcome => ({ id, address: `http://h/${id}`, status, version: '2.0.0', attempts: 1, ms: 3 });

test('5,000 agents ending at once: every outcome is in the log, in order, then compacted to one line each', async () => {
  const file = path.join(dir, 'a', '2.0.0.json');
  const log = await ProgressLog.open(file, emptyProgress('2.0.0', 'b1'));
  const ids = Array.from({ length: 5000 }, (_, i) => `x${i}`);
  await Promise.all(
    ids.map(async (id, i) => {
      log.started(id, `http://h/${id}`);
      await new Promise((r) => setTimeout(r, i % 7));
      log.outcome(outcome(id, i % 10 ? 'upgraded' : 'failed'));
    }),
  );
  const raw = (await readFile(progressLogFile(file), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(raw).toHaveLength(1 + 2 * ids.length);
  for (const id of ids) expect(raw.findIndex((l) => l.started === id)).toBeLessThan(raw.findIndex((l) => l.id === id));
  await log.close();
  const lines = (await readFile(progressLogFile(file), 'utf8')).trim().split('\n');
  expect(lines).toHaveLength(1 + ids.length);
  const p = (await readProgress(file))!;
  expect(p).toMatchObject({ target: '2.0.0', bundle: 'b1' });
  expect(p.outcomes.size).toBe(5000);
  expect(p.inDoubt.size).toBe(0);
  expect([...p.outcomes.values()].filter((o) => o.status === 'failed')).toHaveLength(500);
});

test('a kill mid-write: the torn line is ignored, agents started without an end are in doubt, the last phase counts', async () => {
  const file = path.join(dir, 'b', '2.0.0.json');
  const log = await ProgressLog.open(file, emptyProgress('2.0.0', 'b1'));
  log.started('a', 'http://h/a');
  log.outcome(outcome('a'));
  log.started('b', 'http://h/b');
  log.started('c', 'http://h/c');
  log.outcome(outcome('c', 'failed'));
  log.phase('paused');
  log.phase('continued');
  await appendFile(progressLogFile(file), '{"id":"c","address":"http://h/c","status":"upgr'); // no close: as after kill -9
  const p = (await readProgress(file))!;
  expect([...p.inDoubt]).toEqual(['b']);
  expect(p.outcomes.get('a')?.status).toBe('upgraded');
  expect(p.outcomes.get('c')?.status).toBe('failed');
  expect(p.phase).toBe('continued');
  // a later run appends; the later outcome of an agent wins
  const again = await ProgressLog.open(file, p);
  again.started('c', 'http://h/c');
  again.outcome(outcome('c'));
  await again.close();
  const q = (await readProgress(file))!;
  expect(q.outcomes.get('c')?.status).toBe('upgraded');
  expect([...q.inDoubt]).toEqual(['b']);
  expect(q.phase).toBe('continued');
});

test('the <target>.json of an older uphop is read, and nothing at all is undefined', async () => {
  const file = path.join(dir, 'c', '2.0.0.json');
  expect(await readProgress(file)).toBeUndefined();
  await rm(path.dirname(file), { recursive: true, force: true });
  await import('node:fs/promises').then((fs) => fs.mkdir(path.dirname(file), { recursive: true }));
  await writeFile(file, JSON.stringify({ target: '2.0.0', bundle: 'old', started: 'x', updated: 'y', outcomes: { a: outcome('a') } }));
  const p = (await readProgress(file))!;
  expect(p.bundle).toBe('old');
  expect(p.outcomes.get('a')?.status).toBe('upgraded');
});
