/** One worker tick: record a heartbeat, then claim and run pending jobs. */
import { features } from '../lib/version.mjs';

const BATCH = 10;

const handlers = {
  noop: async () => 'ok',
  'count-items': async (knex) => {
    const [{ n }] = await knex('items').count({ n: '*' });
    await putSetting(knex, 'items.count', String(n));
    return String(n);
  },
};

async function putSetting(knex, key, value) {
  await knex('settings').insert({ key, value, updated_at: knex.fn.now() }).onConflict('key').merge();
}

/** before 4.2.0: the worker_heartbeats table; from 4.2.0: a settings key (the table is dropped) */
export async function heartbeat(knex, workerId) {
  if (features.heartbeatTable) {
    await knex('worker_heartbeats').insert({ worker_id: workerId, beat_at: knex.fn.now() }).onConflict('worker_id').merge();
  } else {
    await putSetting(knex, `worker.heartbeat.${workerId}`, new Date().toISOString());
  }
}

/** claims a job so that two workers never run the same one */
async function claim(knex, id) {
  const n = await knex('jobs').where({ id, state: 'pending' }).update({ state: 'running', updated_at: knex.fn.now() });
  return n === 1;
}

/** returns how many jobs were processed */
export async function runPendingJobs(knex, log) {
  const pending = await knex('jobs').where({ state: 'pending' }).orderBy('id').limit(BATCH).select('id', 'kind');
  let done = 0;
  for (const job of pending) {
    if (!(await claim(knex, job.id))) continue;
    const handler = handlers[job.kind];
    let update;
    try {
      if (!handler) throw new Error(`unknown job kind ${job.kind}`);
      update = { state: 'done', result: await handler(knex) };
    } catch (err) {
      update = { state: 'failed', result: err.message };
      log.warn('job failed', { id: Number(job.id), kind: job.kind, error: err.message });
    }
    await knex('jobs')
      .where({ id: job.id })
      .update({ ...update, updated_at: knex.fn.now() });
    done++;
  }
  return done;
}
