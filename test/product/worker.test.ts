import { beforeAll, describe, expect, it } from 'vitest';
import { freshDb } from './helpers/databases.js';
import { migrateTo } from './helpers/migrations.js';
import { eventually, getJson, packInto, rmrf, spawnProgram, start, stop, unpack, writeConfig, type PackResult } from './helpers/programs.js';

let packed: Map<string, PackResult>;

beforeAll(async () => {
  packed = await packInto(undefined, ['4.1.1', '4.2.0'], ['worker']);
});

describe.each(['4.1.1', '4.2.0'])('packed worker %s on SQLite', (version) => {
  it('processes queued jobs, records its heartbeat, answers on its health port and stops on SIGTERM', async () => {
    const fresh = await freshDb('sqlite');
    const dir = await unpack(packed.get(`worker@${version}`)!.file);
    try {
      await migrateTo(fresh.knex, version);
      const name = version === '4.2.0' ? 'title' : 'name';
      await fresh.knex('items').insert([{ [name]: 'a' }, { [name]: 'b' }]);
      await fresh.knex('jobs').insert([{ kind: 'count-items' }, { kind: 'noop' }, { kind: 'no-such-kind' }]);
      const config = writeConfig(dir, 'worker.yaml', { port: 0, root: dir, db: fresh.db, worker_id: 'w1', interval_ms: 200 });
      const worker = await start(dir, 'worker.js', ['--config', config]);

      const jobs = await eventually(async () => {
        const rows = await fresh.knex('jobs').orderBy('id').select('kind', 'state', 'result');
        return rows.every((r) => r.state !== 'pending' && r.state !== 'running') && rows;
      });
      expect(jobs).toEqual([
        { kind: 'count-items', state: 'done', result: '2' },
        { kind: 'noop', state: 'done', result: 'ok' },
        { kind: 'no-such-kind', state: 'failed', result: 'unknown job kind no-such-kind' },
      ]);
      expect(await fresh.knex('settings').where({ key: 'items.count' }).first('value')).toEqual({ value: '2' });
      if (version === '4.1.1') expect(await fresh.knex('worker_heartbeats').pluck('worker_id')).toEqual(['w1']);
      else expect(await fresh.knex('settings').where({ key: 'worker.heartbeat.w1' }).first()).toBeTruthy();

      const health = await getJson(`http://127.0.0.1:${worker.port}/health`);
      expect(health).toMatchObject({ status: 200, body: { status: 'ok', version, processed: 3 } });
      expect(await stop(worker)).toBe(0);
    } finally {
      await fresh.drop();
      rmrf(dir);
    }
  });
});

describe('packed worker before its schema exists', () => {
  it('keeps its health port closed until the database has the schema', async () => {
    const fresh = await freshDb('sqlite');
    const dir = await unpack(packed.get('worker@4.2.0')!.file);
    try {
      const config = writeConfig(dir, 'worker.yaml', { port: 0, root: dir, db: fresh.db, interval_ms: 100 });
      const worker = spawnProgram(dir, 'worker.js', ['--config', config]);
      await eventually(() => worker.logs.some((l) => l.includes('tick failed')));
      expect(worker.logs.some((l) => l.includes('"listening"'))).toBe(false);
      await migrateTo(fresh.knex, '4.2.0');
      const port = await worker.listening;
      expect((await getJson(`http://127.0.0.1:${port}/health`)).body).toMatchObject({ status: 'ok', version: '4.2.0' });
      expect(await stop({ ...worker, port })).toBe(0);
    } finally {
      await fresh.drop();
      rmrf(dir);
    }
  });
});
