/**
 * What a rollback must give back: the schema (tables, columns, indexes) and a
 * checksum of every table's rows in a fixed order, read the same way on SQLite,
 * PostgreSQL and MariaDB so two snapshots compare with plain equality.
 */
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { dialectOf } from '../drivers/db/dialect.js';

export interface TableShape {
  columns: string[];
  indexes: string[];
}

export interface Snapshot {
  tables: Record<string, TableShape>;
  /** sha256 of the ordered rows and their count */
  checksums: Record<string, { rows: number; sha256: string }>;
}

async function tableNames(knex: Knex): Promise<string[]> {
  const d = dialectOf(knex);
  const rows: { name: string }[] =
    d === 'sqlite'
      ? await knex.raw(`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`)
      : d === 'pg'
        ? (await knex.raw(`select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`)).rows
        : (await knex.raw(`select table_name as name from information_schema.tables where table_schema = database() and table_type = 'BASE TABLE'`))[0];
  return rows.map((r) => String(r.name ?? (r as Record<string, unknown>).NAME)).sort();
}

async function shapeOf(knex: Knex, table: string): Promise<TableShape> {
  const d = dialectOf(knex);
  const info = await knex(table).columnInfo();
  const columns = Object.entries(info)
    .map(([name, c]) => `${name} ${c.type}${c.nullable ? '' : ' not null'}${c.maxLength ? `(${c.maxLength})` : ''}`)
    .sort();
  let indexes: string[];
  if (d === 'sqlite') {
    const list: { name: string; unique: number }[] = await knex.raw(`pragma index_list(${quoteId(table, '"')})`);
    indexes = await Promise.all(
      list.map(async (i) => {
        const cols: { name: string }[] = await knex.raw(`pragma index_info(${quoteId(i.name, '"')})`);
        return `${i.unique ? 'unique ' : ''}${i.name.startsWith('sqlite_autoindex') ? '(auto)' : i.name} (${cols.map((c) => c.name).join(', ')})`;
      }),
    );
  } else if (d === 'pg') {
    indexes = (await knex.raw(`select indexname, indexdef from pg_indexes where schemaname = current_schema() and tablename = ?`, [table])).rows.map((r: { indexname: string; indexdef: string }) =>
      r.indexdef.replace(/ ON \S+\./, ' ON '),
    );
  } else {
    const rows = (
      await knex.raw(
        `select index_name, non_unique, column_name, seq_in_index from information_schema.statistics where table_schema = database() and table_name = ? order by index_name, seq_in_index`,
        [table],
      )
    )[0] as Record<string, unknown>[];
    const by = new Map<string, string[]>();
    for (const r of rows) {
      const key = `${Number(r.non_unique ?? r.NON_UNIQUE) ? '' : 'unique '}${String(r.index_name ?? r.INDEX_NAME)}`;
      by.set(key, [...(by.get(key) ?? []), String(r.column_name ?? r.COLUMN_NAME)]);
    }
    indexes = [...by].map(([k, cols]) => `${k} (${cols.join(', ')})`);
  }
  return { columns, indexes: indexes.sort() };
}

const quoteId = (s: string, q: string) => `${q}${s.split(q).join(q + q)}${q}`;

/** one stable text per value: dates as ISO, buffers as hex, numbers the same on every driver */
function norm(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (Buffer.isBuffer(v)) return `hex:${v.toString('hex')}`;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'string' && /^-?\d+$/.test(v) && v.length < 16) return Number(v);
  return v;
}

const PAGE = 5000;

async function checksum(knex: Knex, table: string, columns: string[]): Promise<{ rows: number; sha256: string }> {
  const h = createHash('sha256');
  let rows = 0;
  const names = columns.map((c) => c.split(' ')[0]);
  // ordered by every column: the same rows give the same bytes whatever order they were written in;
  // read in pages (knex streams only with an extra package on PostgreSQL)
  for (let page = 0; ; page++) {
    const batch: Record<string, unknown>[] = await knex(table)
      .select(names)
      .orderBy(names.map((c) => ({ column: c })))
      .limit(PAGE)
      .offset(page * PAGE);
    for (const row of batch) h.update(JSON.stringify(names.map((c) => norm(row[c]))) + '\n');
    rows += batch.length;
    if (batch.length < PAGE) break;
  }
  return { rows, sha256: h.digest('hex') };
}

export async function snapshot(knex: Knex, opts: { ignoreData?: string[] } = {}): Promise<Snapshot> {
  const tables: Snapshot['tables'] = {};
  const checksums: Snapshot['checksums'] = {};
  for (const t of await tableNames(knex)) {
    tables[t] = await shapeOf(knex, t);
    if (!opts.ignoreData?.includes(t)) checksums[t] = await checksum(knex, t, tables[t].columns);
  }
  return { tables, checksums };
}

/** what differs, one line each (empty: equal); the rows of `ignoreData` tables are not compared */
export function compareSnapshots(before: Snapshot, after: Snapshot, ignoreData: ReadonlySet<string> = new Set()): string[] {
  const out: string[] = [];
  const names = [...new Set([...Object.keys(before.tables), ...Object.keys(after.tables)])].sort();
  for (const t of names) {
    const a = before.tables[t];
    const b = after.tables[t];
    if (!b) {
      out.push(`table ${t} is missing`);
      continue;
    }
    if (!a) {
      out.push(`table ${t} is new`);
      continue;
    }
    for (const c of a.columns) if (!b.columns.includes(c)) out.push(`${t}: column ${c} is missing or changed`);
    for (const c of b.columns) if (!a.columns.includes(c)) out.push(`${t}: column ${c} is new`);
    for (const i of a.indexes) if (!b.indexes.includes(i)) out.push(`${t}: index ${i} is missing or changed`);
    for (const i of b.indexes) if (!a.indexes.includes(i)) out.push(`${t}: index ${i} is new`);
    const x = before.checksums[t];
    const y = after.checksums[t];
    if (x && y && x.sha256 !== y.sha256 && !ignoreData.has(t)) out.push(`${t}: rows differ (${x.rows} before, ${y.rows} after)`);
  }
  return out;
}
