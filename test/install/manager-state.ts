/**
 * What "nothing changed" means on a manager, for refusal and dry-run tests: every
 * file under the root (path, size, sha256; folders too, so a stray empty one shows)
 * and a digest of the database rows. Left out: the logs, and the SQLite file itself
 * and the heartbeats the running worker keeps writing (the rows digest covers the rest).
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, readlink, stat } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import { cli, health, type CliRun, type Sandbox } from '../helpers/manager.js';

export interface ManagerSnapshot {
  files: Record<string, string>;
  rows: string;
}

const SKIP = [/^var\/log(\/|$)/, /^var\/lib\/beacon\/beacon\.db(-wal|-shm|-journal)?$/];

export async function fileTree(root: string, rel = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const d of await readdir(path.join(root, rel), { withFileTypes: true }).catch(() => [])) {
    const p = rel ? `${rel}/${d.name}` : d.name;
    if (SKIP.some((re) => re.test(p))) continue;
    const abs = path.join(root, p);
    if (d.isDirectory()) {
      out[p + '/'] = `dir ${((await stat(abs)).mode & 0o777).toString(8)}`;
      Object.assign(out, await fileTree(root, p));
    } else if (d.isSymbolicLink()) {
      out[p] = `link ${await readlink(abs)}`;
    } else {
      const buf = await readFile(abs);
      out[p] = `${buf.length} ${createHash('sha256').update(buf).digest('hex')}`;
    }
  }
  return out;
}

async function tables(sb: Sandbox): Promise<string[]> {
  const k = sb.db();
  const client = String(k.client.config.client);
  const q =
    client === 'better-sqlite3'
      ? "select name from sqlite_master where type = 'table' and name not like 'sqlite_%'"
      : client === 'pg'
        ? 'select table_name as name from information_schema.tables where table_schema = current_schema()'
        : 'select table_name as name from information_schema.tables where table_schema = database()';
  const res = await k.raw(q);
  const rows: any[] = Array.isArray(res) ? (Array.isArray(res[0]) ? res[0] : res) : res.rows;
  return rows.map((r) => String(r.name ?? r.NAME ?? r.TABLE_NAME)).sort();
}

export async function rowsDigest(sb: Sandbox): Promise<string> {
  const h = createHash('sha256');
  for (const t of await tables(sb)) {
    if (t === 'worker_heartbeats') continue;
    const cols = Object.keys((await sb.db()(t).columnInfo()) as object).sort();
    let rows = await sb
      .db()(t)
      .select(cols)
      .orderBy(cols.map((c) => ({ column: c })));
    if (t === 'settings') rows = rows.filter((r: any) => !String(r.key).startsWith('worker.heartbeat'));
    h.update(JSON.stringify({ t, cols, rows }));
  }
  return h.digest('hex');
}

export async function snapshot(sb: Sandbox): Promise<ManagerSnapshot> {
  return { files: await fileTree(sb.root), rows: await rowsDigest(sb) };
}

/** the manager is exactly as in `before`, and still serves `version` */
export async function expectUnchanged(sb: Sandbox, before: ManagerSnapshot, version: string) {
  const after = await snapshot(sb);
  expect(after.files).toEqual(before.files);
  expect(after.rows).toBe(before.rows);
  expect(await health(sb.restPort)).toMatchObject({ status: 200, body: { version } });
}

/** the one-sentence error of the CLI: `error [CODE]: message` and its hint */
export function expectError(r: CliRun, exit: number, code: string, message: RegExp | string, hint?: RegExp | string) {
  expect(r.code, r.stderr).toBe(exit);
  const line = r.stderr.split('\n').find((l) => l.startsWith('error ['));
  expect(line, r.stderr).toBeDefined();
  expect(line).toContain(`[${code}]`);
  if (typeof message === 'string') expect(line).toContain(message);
  else expect(line).toMatch(message);
  if (hint !== undefined) {
    const h = r.stderr.split('\n').find((l) => l.startsWith('  hint: '));
    if (typeof hint === 'string') expect(h).toContain(hint);
    else expect(h).toMatch(hint);
  }
}

export async function status(root: string): Promise<any> {
  return JSON.parse((await cli(['status', '--root', root, '--json'])).stdout);
}
