/**
 * The fleet as the manager's DB lists it (the product's `agents` table: id,
 * address, version, state). uphop reads it to plan a rollout and writes back
 * each agent's outcome, so the product shows the same truth.
 */
import type { Knex } from 'knex';
import { failure, messageOf } from '../errors.js';
import type { AgentOutcome, AgentRecord } from './types.js';

/** what values.yaml `agents:` may hold (docs/values.md), with the table's default */
export interface AgentSettings {
  token?: string;
  table: string;
  serve?: { host?: string; port?: number; public_url?: string };
  /** the broker agents with an amqp:<id> address listen on */
  amqp?: { url?: string; exchange?: string };
}

export function agentSettings(values: Record<string, unknown>): AgentSettings {
  const a = (values.agents ?? {}) as Partial<AgentSettings>;
  return { ...a, table: a.table ?? 'agents' };
}

export async function listAgents(knex: Knex, table: string): Promise<AgentRecord[]> {
  try {
    const rows = await knex(table).select('id', 'address', 'version', 'state').orderBy('id');
    return rows.map((r) => ({ id: String(r.id), address: String(r.address), version: r.version == null ? null : String(r.version), state: String(r.state ?? 'unknown') }));
  } catch (e) {
    throw failure('AGENTS_UNREADABLE', `Cannot read the agents from the manager's table "${table}": ${messageOf(e).split('\n')[0]}.`,
      'Check that the manager is installed and its database answers (uphop status), or set agents.table in the values.');
  }
}

/** record how an agent's upgrade ended: its reported version when it succeeded, state 'failed' otherwise */
export async function recordOutcome(knex: Knex, table: string, o: AgentOutcome): Promise<void> {
  if (o.status === 'skipped') return;
  const row = o.status === 'upgraded' ? { version: o.version, state: 'ok' } : { state: 'failed' };
  await knex(table).where({ id: o.id }).update({ ...row, updated_at: knex.fn.now() });
}
