/**
 * What the crash sweep looks at from outside the installer: the processes under a
 * manager root (/proc), temporary files left under it, the journal as it grows,
 * and a checksum of the database's rows.
 */
import { readdirSync, readFileSync, readlinkSync, statSync, watch, type FSWatcher } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Knex } from 'knex';

export interface RootProcess {
  pid: number;
  cmdline: string[];
  cwd: string;
}

/** every live process whose command line or cwd is under root */
export function processesUnder(root: string): RootProcess[] {
  const found: RootProcess[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state === 'Z' || state === 'X') continue;
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean);
      let cwd = '';
      try {
        cwd = readlinkSync(`/proc/${name}/cwd`);
      } catch {
        /* another user's or gone */
      }
      const under = (p: string) => p === root || p.startsWith(root + '/');
      if (cmdline.some(under) || under(cwd)) found.push({ pid: Number(name), cmdline, cwd });
    } catch {
      /* exited while we looked */
    }
  }
  return found;
}

/** the service a process runs: opt/<product>/<component>/… in its command line or cwd, with the release version of its cwd */
export function serviceOf(root: string, p: RootProcess): { component: string; version: string } | undefined {
  const re = new RegExp(`^${root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/opt/[^/]+/([^/]+)/(?:releases/([^/]+)|current)`);
  let component: string | undefined;
  let version = '';
  for (const s of [p.cwd, ...p.cmdline]) {
    const m = re.exec(s);
    if (!m) continue;
    component ??= m[1];
    if (m[2] && !version) version = m[2];
  }
  return component ? { component, version } : undefined;
}

export function killAll(pids: number[]): void {
  for (const pid of pids)
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
}

const TEMP = [/^\.incoming-/, /\.tmp-/, /\.partial$/, /^\.trash-/, /\.takeover-/, /\.stale-/];

/** temporary files and directories under root, plus any lock file (no uphop runs when this is called) */
export function leftovers(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const n of names) {
      const p = path.join(dir, n);
      const rel = path.relative(root, p);
      if (TEMP.some((re) => re.test(n))) out.push(rel);
      else if (rel.startsWith(`var${path.sep}lock${path.sep}`) && n.endsWith('.lock')) out.push(`${rel} (stale lock)`);
      let isDir = false;
      try {
        isDir = statSync(p).isDirectory();
      } catch {
        /* vanished */
      }
      // releases' own contents are the product's files, not uphop's
      if (isDir && !(path.basename(dir) === 'releases' && !n.endsWith('.partial'))) walk(p);
    }
  };
  walk(root);
  return out;
}

/**
 * Counts the journal records of one bundle as they are written, from outside:
 * fs.watch on the journal folder plus a 2 ms poll (inotify can coalesce writes, and
 * the folder may not exist yet when the installer starts).
 */
export class JournalWatch {
  private base: number;
  private timer?: NodeJS.Timeout;
  private watcher?: FSWatcher;
  records: string[] = [];
  private listeners: (() => void)[] = [];

  constructor(private readonly file: string) {
    this.base = this.size();
  }

  private size(): number {
    try {
      return statSync(this.file).size;
    } catch {
      return 0;
    }
  }

  start(onChange: (records: string[]) => void): void {
    const check = () => {
      const size = this.size();
      if (size < this.base) this.base = 0; // replaced by a fresh journal
      let text = '';
      try {
        text = readFileSync(this.file, 'utf8').slice(this.base);
      } catch {
        return;
      }
      const lines = text.split('\n').slice(0, -1); // only complete records
      if (lines.length !== this.records.length) {
        this.records = lines;
        onChange(lines);
      }
      if (!this.watcher) {
        try {
          this.watcher = watch(path.dirname(this.file), check);
        } catch {
          /* not there yet */
        }
      }
    };
    this.timer = setInterval(check, 2);
    this.listeners.push(check);
    check();
  }

  stop(): void {
    clearInterval(this.timer);
    this.watcher?.close();
  }
}

/** tables of the manager's database, by dialect */
async function tables(knex: Knex): Promise<string[]> {
  const client = String(knex.client.config.client);
  if (client.includes('sqlite')) return (await knex.raw("select name from sqlite_master where type = 'table' and name not like 'sqlite_%'")).map((r: any) => r.name);
  if (client === 'pg') return (await knex.raw('select table_name from information_schema.tables where table_schema = current_schema()')).rows.map((r: any) => r.table_name);
  const [rows] = await knex.raw('select table_name as t from information_schema.tables where table_schema = database()');
  return rows.map((r: any) => r.t);
}

export type Snapshot = Record<string, { columns: string[]; sum: string; rows: number }>;

/** tables the product or uphop rewrite on their own (heartbeats, migration bookkeeping) are not data */
const NOT_DATA = /^(uphop_|knex_|worker_heartbeats$)/;

/** per table: its columns and a sha256 over its rows (restricted to `columnsOf` when given), in a stable order */
export async function snapshot(knex: Knex, columnsOf?: Snapshot): Promise<Snapshot> {
  const out: Snapshot = {};
  for (const t of (await tables(knex)).sort()) {
    if (NOT_DATA.test(t)) continue;
    const columns = Object.keys(await knex(t).columnInfo()).sort();
    const use = columnsOf?.[t] ? columnsOf[t].columns.filter((c) => columns.includes(c)) : columns;
    const rows = (await knex(t).select(use)).map((r: any) => JSON.stringify(use.map((c) => (r[c] instanceof Date ? r[c].toISOString() : r[c] === null ? null : String(r[c]))))).sort();
    out[t] = { columns, sum: createHash('sha256').update(rows.join('\n')).digest('hex').slice(0, 16), rows: rows.length };
  }
  return out;
}

/** differences between the data before and now: a missing table, or changed rows in the columns it had */
export function dataChanges(before: Snapshot, now: Snapshot, exactTables: boolean): string[] {
  const out: string[] = [];
  for (const [t, b] of Object.entries(before)) {
    const n = now[t];
    if (!n) out.push(`table ${t} is gone`);
    else {
      const lost = b.columns.filter((c) => !n.columns.includes(c));
      if (lost.length) out.push(`table ${t} lost columns ${lost.join(', ')}`);
      else if (n.sum !== b.sum) out.push(`table ${t} changed: ${b.rows} rows before, ${n.rows} now, checksum ${b.sum} -> ${n.sum}`);
      const extra = n.columns.filter((c) => !b.columns.includes(c));
      if (exactTables && extra.length) out.push(`table ${t} keeps the new version's columns ${extra.join(', ')}`);
    }
  }
  if (exactTables) for (const t of Object.keys(now)) if (!before[t]) out.push(`table ${t} is left over from the new version`);
  return out;
}
