/** What a support bundle reads from a manager: each function returns text or data, never writes. */
import { open, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Knex } from 'knex';
import { messageOf } from '../errors.js';
import type { Layout } from '../install/layout.js';
import { INFLIGHT_TABLE } from '../migrate/inflight.js';
import { MIGRATION_TABLE } from '../migrate/storage.js';
import { listReports, reportsDir } from '../report/store.js';

export const TAIL_BYTES = 64 * 1024;

/** the last bytes of a file, from the start of a line */
export async function tail(file: string, bytes = TAIL_BYTES): Promise<string> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    const start = Math.max(0, size - bytes);
    const buf = Buffer.alloc(size - start);
    await fh.read(buf, 0, buf.length, start);
    const text = buf.toString('utf8');
    return start > 0 ? text.slice(text.indexOf('\n') + 1) : text;
  } finally {
    await fh.close();
  }
}

/** every file under a folder, relative, depth-first */
export async function filesUnder(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(path.join(dir, rel), { withFileTypes: true }).catch(() => [])) {
    const r = path.join(rel, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(dir, r)));
    else if (e.isFile()) out.push(r);
  }
  return out.sort();
}

export async function keptManifests(L: Layout): Promise<{ id: string; text: string }[]> {
  const out: { id: string; text: string }[] = [];
  for (const id of (await readdir(L.bundlesDir).catch(() => [] as string[])).sort()) {
    const text = await readFile(path.join(L.bundle(id), 'bundle.json'), 'utf8').catch(() => undefined);
    if (text) out.push({ id, text });
  }
  return out;
}

export async function migrationsTable(knex: Knex): Promise<object> {
  try {
    if (!(await knex.schema.hasTable(MIGRATION_TABLE))) return { note: `no ${MIGRATION_TABLE} table yet` };
    return await knex(MIGRATION_TABLE).select('*').orderBy('applied_at');
  } catch (e) {
    return { error: messageOf(e) };
  }
}

/**
 * The in-flight markers (MariaDB: a migration whose up began but was not recorded,
 * see migrate/inflight.ts); undefined when the table does not exist, so the bundle
 * has the file only on databases that keep markers.
 */
export async function inflightTable(knex: Knex): Promise<object | undefined> {
  try {
    if (!(await knex.schema.hasTable(INFLIGHT_TABLE))) return undefined;
    return await knex(INFLIGHT_TABLE)
      .select('*')
      .orderBy([{ column: 'started_at' }, { column: 'name' }]);
  } catch (e) {
    return { error: messageOf(e) };
  }
}

export async function lastReports(root: string, n = 5) {
  return listReports(reportsDir(root), n);
}

export const sizeOf = (f: string) =>
  stat(f).then(
    (s) => s.size,
    () => 0,
  );
