/**
 * Everything a step needs, built once per install/resume/rollback: the verified
 * bundle, what was installed before, the site values, the drivers, and a lazily
 * opened database.
 */
import path from 'node:path';
import { existsSync } from 'node:fs';
import type { Knex } from 'knex';
import type { Emit } from '../events.js';
import type { Manifest } from '../bundle/manifest.js';
import { openDatabase, sqliteFile, type DbValues } from '../drivers/db/connect.js';
import { createServiceDriver, type ServiceDriver, type ServiceDriverKind } from '../drivers/services/index.js';
import type { Layout } from './layout.js';
import type { InstalledState } from './state.js';
import { scrub, type Values } from './values.js';

export interface InstallOptions {
  root: string;
  values?: string;
  dryRun?: boolean;
  trust?: string;
  allowUnsigned?: boolean;
  noRollback?: boolean;
  notify?: string;
  ignorePreflight?: string[];
  /** how long to wait for a service to stop before SIGKILL */
  stopTimeoutMs?: number;
  /** roll the bundle's agent package out to the fleet after a successful install (default true) */
  agents?: boolean;
}

export interface ConfigOutcome {
  dest: string;
  action: 'written' | 'unchanged' | 'kept-site-edit';
  /** where the new version went when the site's edit was kept */
  newFile?: string;
}

export interface InstallContext {
  root: string;
  L: Layout;
  opts: InstallOptions;
  emit: Emit;
  manifest: Manifest;
  bundleDir: string;
  id: string;
  /** what was installed before this hop (undefined on a fresh install) */
  prev?: InstalledState;
  fromVersion: string;
  values: Values;
  /** values plus built-ins: root, product, version, node */
  vars: Record<string, unknown>;
  services: ServiceDriver;
  db(): Knex;
  /** false while the SQLite file does not exist: opening it would create it, which a refusal or a dry run must not */
  hasDatabase(): boolean;
  close(): Promise<void>;
  scrub(text: string): string;
  /** the journal attempt this run continues or began ("install begin" time), set once it is known */
  attempt?: string;
  /** called once, after the first step's "begin" record is in the journal (install drops its starting marker then) */
  onFirstStep?: () => Promise<void>;
  /** when this command (install, resume, rollback) started, for its history record */
  runStarted: number;
  configs: ConfigOutcome[];
}

/** better-sqlite3's addon beside the bundled installer (undefined when running from a checkout) */
declare const __UPHOP_BUNDLED__: boolean | undefined;
export function nativeBinding(): string | undefined {
  if (typeof __UPHOP_BUNDLED__ === 'undefined' || !__UPHOP_BUNDLED__) return undefined;
  const file = path.join(__dirname, 'better_sqlite3.node');
  return existsSync(file) ? file : undefined;
}

export function createContext(a: { opts: InstallOptions; L: Layout; emit: Emit; manifest: Manifest; bundleDir: string; id: string; prev?: InstalledState; values: Values }): InstallContext {
  let knex: Knex | undefined;
  const root = path.resolve(a.opts.root);
  const services = (a.values.services ?? {}) as { driver?: ServiceDriverKind };
  return {
    ...a,
    root,
    fromVersion: a.prev?.version ?? 'none',
    vars: { ...a.values, root, product: a.manifest.product, version: a.manifest.to, node: process.execPath },
    services: createServiceDriver(services.driver ?? 'process', { root, product: a.manifest.product, emit: a.emit }),
    db() {
      knex ??= openDatabase((a.values.db ?? {}) as DbValues, { root, nativeBinding: nativeBinding() });
      return knex;
    },
    hasDatabase() {
      const db = (a.values.db ?? {}) as DbValues;
      if ((db.client ?? 'sqlite') !== 'sqlite' || knex) return true;
      try {
        return existsSync(sqliteFile(db, root));
      } catch {
        return true; // a bad filename: opening it says what is wrong
      }
    },
    async close() {
      await knex?.destroy();
      knex = undefined;
    },
    scrub: (t) => scrub(t, a.values),
    runStarted: Date.now(),
    configs: [],
  };
}
