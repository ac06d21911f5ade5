/**
 * `uphop rehearse <bundle> --root DIR`: the whole install on a copy of the live
 * manager (files, database, services on free ports), timed step by step, then
 * the copy removed. The live manager is only read: its files, database and
 * services are never written, stopped or locked.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { sqliteFile, type DbValues } from '../drivers/db/connect.js';
import { failure, isUphopError, messageOf, refusal, usageError, type UphopError } from '../errors.js';
import { silent, type Emit } from '../events.js';
import { install } from '../install/index.js';
import { findInterrupted } from '../install/interrupted.js';
import { layout } from '../install/layout.js';
import { lockOwnerAlive, readLock } from '../install/lock.js';
import { readState } from '../install/state.js';
import { readValuesFile, scrub } from '../install/values.js';
import { checkPortKeys, type PortChange } from '../sandbox/ports.js';
import { copyDatabase, copyName, dropCopyDatabase, type DbCopy } from './copy-db.js';
import { markWork, removeCopy, sweepLeftovers, WORK_PREFIX } from './leftovers.js';
import { copyFiles } from './copy-files.js';
import { prepareCopy, stopCopy, type PreparedCopy } from './prepare.js';
import { startOutageProbe, type Outage } from './outage.js';
import { timeline, type Timeline } from './timeline.js';
import { healthChecks } from '../install/units.js';
import { copyValues } from './values.js';
import { untilAborted } from '../util/abort.js';

export interface RehearseOptions {
  bundle: string;
  root: string;
  trust?: string;
  allowUnsigned?: boolean;
  /** where the copy goes (default: the system temp folder) */
  work?: string;
  ignorePreflight?: string[];
  stopTimeoutMs?: number;
  /** dotted values keys holding a port besides those named …port */
  portKeys?: string[];
  /** aborted (Ctrl-C): the copy is removed at once and the rehearsal fails with REHEARSAL_INTERRUPTED */
  signal?: AbortSignal;
  emit?: Emit;
}

export interface RehearsalResult extends Timeline {
  outcome: 'passed';
  bundle: string;
  product: string;
  from: string;
  to: string;
  copy: { ms: number; files: number; bytes: number; database: string };
  ports: PortChange[];
  siteEditedConfigs: string[];
  /** what the install did with each config on the copy (as it would on the live manager) */
  configs: { dest: string; action: string; newFile?: string }[];
  /** the copy's first HTTP health check, probed every 20 ms during its install: what clients would see */
  outage?: Outage;
  ms: number;
  message: string;
}

async function timed<T>(emit: Emit, step: string, fn: () => Promise<T>, detail?: (r: T) => string): Promise<T> {
  const t = Date.now();
  emit({ type: 'step', step, status: 'begin' });
  try {
    const r = await fn();
    emit({ type: 'step', step, status: 'end', ms: Date.now() - t, detail: detail?.(r) });
    return r;
  } catch (e) {
    emit({ type: 'step', step, status: 'fail', ms: Date.now() - t, detail: messageOf(e) });
    throw e;
  }
}

export async function rehearse(o: RehearseOptions): Promise<RehearsalResult> {
  const t0 = Date.now();
  const emit = o.emit ?? silent;
  const live = path.resolve(o.root);
  const L = layout(live);
  const state = await readState(L.state);
  if (!state)
    throw usageError('REHEARSE_NOTHING_INSTALLED', `Nothing is installed under ${live} to rehearse on.`, 'Rehearse upgrades of an installed manager; a fresh install has no live data to try.');
  const held = await readLock(L.lock);
  if (held && (await lockOwnerAlive(held))) throw refusal('REHEARSE_BUSY', `An install is running on ${live}; a copy taken now would be half of it.`, 'Rehearse once it has finished.');
  const pending = await findInterrupted(L);
  if (pending) throw refusal('INSTALL_INTERRUPTED', `An install of ${pending.id} was interrupted on ${live}.`, 'Finish it (uphop resume) or undo it (uphop rollback) first.');
  const liveValues = await readValuesFile(L.values(state.product));
  checkPortKeys(liveValues, o.portKeys ?? []);
  // a product without a database (no db: in its values) has nothing to copy there
  const db = liveValues.db === undefined ? undefined : (liveValues.db as DbValues);
  const hide = (t: string) => scrub(t, liveValues);
  const parent = o.work ?? tmpdir();
  await sweepLeftovers(parent, live, state.product, db, emit);
  const work = await mkdtemp(path.join(parent, WORK_PREFIX));
  const copyRoot = path.join(work, 'root');
  const database = db && (db.client ?? 'sqlite') !== 'sqlite' ? copyName() : undefined;
  await markWork(work, { live, product: state.product, database });
  let dbCopy: DbCopy | undefined;
  let prepared: PreparedCopy | undefined;
  let interrupted = false;
  const onCopy = async (): Promise<RehearsalResult> => {
    const tc = Date.now();
    const skip = db && (db.client ?? 'sqlite') === 'sqlite' ? [sqliteFile(db, live)] : [];
    const files = await timed(
      emit,
      'copy files',
      () => copyFiles(live, copyRoot, skip),
      (r) => `${r.files} files, ${r.bytes} bytes`,
    );
    if (db && skip.length) await mkdir(path.dirname(sqliteFile(db, copyRoot)), { recursive: true });
    dbCopy = await timed(
      emit,
      'copy database',
      () => copyDatabase(db, live, copyRoot, hide, database),
      (r) => r.method,
    );
    const copyMs = Date.now() - tc;
    const { values, ports } = await copyValues(liveValues, { liveRoot: live, copyRoot, db: dbCopy.values, portKeys: o.portKeys });
    await writeFile(layout(copyRoot).values(state.product), YAML.stringify(values), { mode: 0o600 });
    prepared = await timed(
      emit,
      `start the copy (${state.version})`,
      () => prepareCopy({ liveRoot: live, copyRoot, state, liveValues, values, ports, emit }),
      () => `services on ${ports.map((p) => `${p.key} ${p.to}`).join(', ') || 'their own ports'}`,
    );
    const tl = timeline();
    const watched: Emit = (e) => {
      tl.see(e);
      emit(e);
    };
    let error: UphopError | undefined;
    let r: Awaited<ReturnType<typeof install>> | undefined;
    const httpCheck = healthChecks(prepared.ctx, 'old').find((h) => h.http);
    const prober = httpCheck?.http ? startOutageProbe(httpCheck.http) : undefined;
    let outage: Outage | undefined;
    try {
      r = await install({
        bundle: o.bundle,
        root: copyRoot,
        trust: o.trust,
        allowUnsigned: o.allowUnsigned,
        agents: false,
        ignorePreflight: o.ignorePreflight,
        stopTimeoutMs: o.stopTimeoutMs,
        emit: watched,
      });
    } catch (e) {
      if (!isUphopError(e) || e.exitCode === 2) throw e;
      error = e;
    } finally {
      outage = await prober?.stop();
    }
    const t = tl.result();
    if (error) {
      const where = `${t.failedStep ? ` at step "${t.failedStep}"` : ''}${t.failedMigration ? ` (migration ${t.failedMigration})` : ''}`;
      throw failure(
        'REHEARSAL_FAILED',
        `The rehearsal failed${where}: ${error.message.replace(/\.$/, '')}. The live manager was not touched.`,
        error.hint ?? 'Fix the bundle or the site, then rehearse again.',
      );
    }
    if (r!.outcome !== 'installed') throw usageError('REHEARSE_NOTHING_TO_DO', r!.message, 'Rehearse a bundle whose hop starts at the installed version.');
    return {
      outcome: 'passed',
      bundle: r!.bundle,
      product: r!.product,
      from: r!.from,
      to: r!.to,
      ...t,
      copy: { ms: copyMs, files: files.files, bytes: files.bytes, database: dbCopy.method },
      ports,
      siteEditedConfigs: prepared.siteEdited,
      configs: r!.configs,
      outage,
      ms: Date.now() - t0,
      message: `rehearsal of ${r!.product} ${r!.from} -> ${r!.to} passed on a copy: predicted downtime ${t.downtimeMs} ms (stop services -> healthy)${outage ? `, ${outage.ms} ms without a 200 from ${outage.url}` : ''}; the live manager was not touched.`,
    };
  };
  try {
    return await untilAborted(o.signal, onCopy, () => {
      interrupted = true;
      return failure(
        'REHEARSAL_INTERRUPTED',
        'The rehearsal was interrupted; its copy (services, files, database) was removed and the live manager was not touched.',
        'Rehearse again when it can run to its end.',
      );
    });
  } finally {
    // a graceful stop when the rehearsal ran to its end; interrupted, the copy is killed at once
    if (prepared && !interrupted) await stopCopy(prepared.ctx, [...(state.services.order ?? []), ...((await readState(layout(copyRoot).state))?.services.order ?? [])]).catch(() => undefined);
    await prepared?.ctx.close().catch(() => undefined);
    await removeCopy(work, state.product, async () => {
      if (db && database) await dropCopyDatabase(db, live, database);
    }).catch((e) => emit({ type: 'log', level: 'warn', message: `could not remove the rehearsal's copy in ${work}: ${hide(messageOf(e))}` }));
  }
}
