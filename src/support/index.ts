/**
 * `uphop support-bundle --root DIR`: one tar.gz for support with what explains a
 * manager's state: state and history, the journals of the last and any
 * interrupted install, uphop_migrations and its in-flight markers, read-only
 * preflight checks and the last recorded preflight, the last reports, the tail
 * of every service log, the kept bundle manifests, platform facts and the values
 * file, every secret scrubbed.
 * Reads the manager only; writes the archive alone.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { create } from 'tar';
import YAML from 'yaml';
import { openDatabase, type DbValues } from '../drivers/db/connect.js';
import { messageOf, usageError } from '../errors.js';
import { silent, type Emit } from '../events.js';
import { nativeBinding } from '../install/context.js';
import { findInterrupted } from '../install/interrupted.js';
import { layout } from '../install/layout.js';
import { readState } from '../install/state.js';
import { readValuesFile, type Values } from '../install/values.js';
import { platformFacts } from './facts.js';
import { preflightNow } from './preflight.js';
import { redactText, redactValues } from './redact.js';
import { filesUnder, inflightTable, keptManifests, lastReports, migrationsTable, tail } from './sources.js';

export interface SupportBundleResult {
  file: string;
  entries: string[];
  bytes: number;
  message: string;
}

export async function supportBundle(o: { root: string; out?: string; emit?: Emit }): Promise<SupportBundleResult> {
  const emit = o.emit ?? silent;
  const root = path.resolve(o.root);
  const L = layout(root);
  const state = await readState(L.state).catch((e) => ({ unreadable: messageOf(e) }) as never);
  if (!state && !(await filesUnder(path.join(root, 'var'))).length)
    throw usageError('NOT_A_MANAGER', `Nothing of uphop's is under ${root}.`, 'Point --root at the manager root (the folder holding var/lib/uphop).');
  const values: Values = state?.product ? await readValuesFile(L.values(state.product)).catch(() => ({})) : {};
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const name = `uphop-support-${state?.product ?? 'manager'}-${stamp}`;
  const file = path.resolve(o.out ?? `${name}.tar.gz`);
  const work = await mkdtemp(path.join(tmpdir(), 'uphop-support-'));
  const dir = path.join(work, name);
  const entries: string[] = [];
  // every byte that goes in passes here
  const put = async (rel: string, data: string | object) => {
    const text = typeof data === 'string' ? data : JSON.stringify(data, null, 2) + '\n';
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), redactText(text, values));
    entries.push(rel);
  };
  try {
    if (state) {
      await put('state.json', state);
      await put('history.json', state.history ?? []);
    }
    await put('values.yaml', YAML.stringify(redactValues(values)));
    const interrupted = await findInterrupted(L).catch(() => undefined);
    const last = state?.history?.at(-1)?.bundle;
    for (const id of new Set([last, interrupted?.id].filter(Boolean) as string[])) {
      const text = await readFile(L.journal(id), 'utf8').catch(() => undefined);
      if (text !== undefined) await put(`journal/${id}.jsonl`, text);
    }
    const db = values.db ? openDatabase(values.db as DbValues, { root, nativeBinding: nativeBinding() }) : undefined;
    try {
      if (db) await put('uphop_migrations.json', await migrationsTable(db));
      const inflight = db && (await inflightTable(db));
      if (inflight) await put('uphop_migrations_inflight.json', inflight);
      await put('platform.json', await platformFacts(root, db));
      await put('preflight.json', await preflightNow(root, db, state, interrupted?.id));
    } finally {
      await db?.destroy();
    }
    for (const r of await lastReports(root)) {
      await put(`reports/${path.basename(r.json)}`, await readFile(r.json, 'utf8'));
      await put(`reports/${path.basename(r.html)}`, await readFile(r.html, 'utf8'));
    }
    const logs = path.join(root, 'var', 'log');
    for (const rel of await filesUnder(logs)) await put(`logs/${rel}`, await tail(path.join(logs, rel)));
    for (const m of await keptManifests(L)) await put(`bundles/${m.id}/bundle.json`, m.text);
    await mkdir(path.dirname(file), { recursive: true });
    await create({ gzip: true, file, cwd: work, portable: true }, [name]);
    const bytes = (await readFile(file)).length;
    emit({ type: 'log', level: 'info', message: `support bundle: ${entries.length} files` });
    return { file, entries, bytes, message: `support bundle written to ${file} (${entries.length} files, secrets scrubbed).` };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
