/**
 * The fleet as the manager's DB lists it (the product's `agents` table: id,
 * address, version, state, and optionally `group`). uphop reads it to plan a
 * rollout and writes back the outcomes, batched, so the product shows the same truth.
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
  /** agents whose `group` is one of these are never upgraded (pinned hosts) */
  hold_groups?: string[];
}

export function agentSettings(values: Record<string, unknown>): AgentSettings {
  const a = (values.agents ?? {}) as Partial<AgentSettings>;
  return { ...a, table: a.table ?? 'agents' };
}

const unreadable = (table: string, e: unknown) =>
  failure(
    'AGENTS_UNREADABLE',
    `Cannot read the agents from the manager's table "${table}": ${messageOf(e).split('\n')[0]}.`,
    'Check that the manager is installed and its database answers (uphop status), or set agents.table in the values.',
  );

/** the `group` column is optional: a fleet table without it is one ungrouped fleet */
export async function hasGroupColumn(knex: Knex, table: string): Promise<boolean> {
  try {
    return 'group' in (await knex(table).columnInfo());
  } catch (e) {
    throw unreadable(table, e);
  }
}

const toRecord = (r: Record<string, unknown>): AgentRecord => ({
  id: String(r.id),
  address: String(r.address),
  version: r.version == null ? null : String(r.version),
  state: String(r.state ?? 'unknown'),
  ...(r.group !== undefined ? { group: r.group == null ? null : String(r.group) } : {}),
});

export async function listAgents(knex: Knex, table: string): Promise<AgentRecord[]> {
  const grouped = await hasGroupColumn(knex, table);
  try {
    const rows = await knex(table)
      .select('id', 'address', 'version', 'state', ...(grouped ? ['group'] : []))
      .orderBy('id');
    return rows.map(toRecord);
  } catch (e) {
    throw unreadable(table, e);
  }
}

/** how an outcome shows in the table: the reported version when upgraded, state failed or offline otherwise */
const rowOf = (o: AgentOutcome) => (o.status === 'upgraded' ? { version: o.version ?? null, state: 'ok' } : { version: undefined, state: o.status });

/**
 * Writes outcomes to the agents table in batches: one transaction per `size`
 * outcomes or per `ms`, one UPDATE per (version, state) in it. A failed batch is
 * reported, not thrown: the progress log already holds those outcomes.
 */
export class OutcomeWriter {
  private queue: AgentOutcome[] = [];
  private timer?: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly knex: Knex,
    private readonly table: string,
    private readonly onError: (e: unknown, n: number) => void,
    private readonly size = 200,
    private readonly ms = 250,
  ) {}

  add(o: AgentOutcome): void {
    if (o.status === 'skipped') return;
    this.queue.push(o);
    if (this.queue.length >= this.size) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.ms);
  }

  /** starts writing what is queued; batches are written one after the other, in order */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue;
    this.queue = [];
    if (batch.length) this.writing = this.writing.then(() => this.write(batch).catch((e) => this.onError(e, batch.length)));
    return this.writing;
  }

  private async write(batch: AgentOutcome[]): Promise<void> {
    const groups = new Map<string, { row: ReturnType<typeof rowOf>; ids: string[] }>();
    for (const o of batch) {
      const row = rowOf(o);
      const key = `${row.state}\0${row.version}`;
      const g = groups.get(key) ?? { row, ids: [] };
      g.ids.push(o.id);
      groups.set(key, g);
    }
    await this.knex.transaction(async (trx) => {
      for (const { row, ids } of groups.values()) {
        const set = row.version === undefined ? { state: row.state } : row;
        await trx(this.table)
          .whereIn('id', ids)
          .update({ ...set, updated_at: trx.fn.now() });
      }
    });
  }
}
