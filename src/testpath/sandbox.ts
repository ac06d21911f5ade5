/**
 * test-path's throwaway manager: a temp root, the product's values with free
 * ports and a database of its own, the process driver, and a cleanup that stops
 * what it started and drops the database.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import YAML from 'yaml';
import { openDatabase } from '../drivers/db/connect.js';
import { killServicesUnder } from '../drivers/services/discover.js';
import { createServiceDriver } from '../drivers/services/index.js';
import { silent } from '../events.js';
import { readState } from '../install/state.js';
import { layout } from '../install/layout.js';
import { readValuesFile, scrub } from '../install/values.js';
import { withFreePorts, type PortChange } from '../sandbox/ports.js';
import { createTempDb, type SandboxDb, type TempDb } from '../sandbox/temp-db.js';

export interface Sandbox {
  root: string;
  valuesFile: string;
  values: Record<string, unknown>;
  ports: PortChange[];
  db: TempDb;
  knex(): Knex;
  closeDb(): Promise<void>;
  scrub(text: string): string;
  stopServices(): Promise<void>;
  /** kill: the product whose processes under the sandbox are killed at once (an interrupt), not stopped */
  remove(o?: { kill?: string }): Promise<void>;
}

export async function createSandbox(o: { db: SandboxDb; dbUrl?: string; values?: string; portKeys?: string[] }): Promise<Sandbox> {
  const base = o.values ? await readValuesFile(o.values) : {};
  const dir = await mkdtemp(path.join(tmpdir(), 'uphop-test-path-'));
  const root = path.join(dir, 'root');
  const { values, ports } = await withFreePorts(base, undefined, o.portKeys);
  let db: TempDb;
  try {
    db = await createTempDb(o.db, o.dbUrl);
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  // a sandbox runs its services itself, whatever the site's values say
  values.db = db.values;
  values.services = { ...((values.services as object) ?? {}), driver: 'process' };
  const valuesFile = path.join(dir, 'values.yaml');
  await writeFile(valuesFile, YAML.stringify(values), { mode: 0o600 });
  let knex: Knex | undefined;
  const stopServices = async () => {
    const st = await readState(layout(root).state).catch(() => undefined);
    if (!st) return;
    const driver = createServiceDriver('process', { root, product: st.product, emit: silent });
    for (const name of [...st.services.order].reverse()) await driver.stop({ name, exec: [] }, { timeoutMs: 10_000 }).catch(() => undefined);
  };
  return {
    root,
    valuesFile,
    values,
    ports,
    db,
    knex: () => (knex ??= openDatabase(values.db as never, { root })),
    async closeDb() {
      await knex?.destroy();
      knex = undefined;
    },
    scrub: (t) => scrub(t, values),
    stopServices,
    async remove(opts = {}) {
      await knex?.destroy().catch(() => undefined);
      knex = undefined;
      if (opts.kill) await killServicesUnder(root, opts.kill);
      else await stopServices();
      await db.drop().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
      if (opts.kill) await killServicesUnder(root, opts.kill);
    },
  };
}
