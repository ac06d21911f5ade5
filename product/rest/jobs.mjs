/** Jobs are queued by the REST API and processed by the worker. */
import { BadRequest } from './items.mjs';
import { insertReturningId } from '../lib/db.mjs';

export async function enqueueJob(knex, body) {
  if (typeof body?.kind !== 'string' || body.kind === '') throw new BadRequest('"kind" must be a non-empty string');
  const id = await insertReturningId(knex, 'jobs', { kind: body.kind, payload: JSON.stringify(body.payload ?? null), state: 'pending' });
  return getJob(knex, id);
}

export async function getJob(knex, id) {
  const row = await knex('jobs').where({ id }).first();
  return row ? { id: Number(row.id), kind: row.kind, state: row.state, result: row.result ?? null } : null;
}
