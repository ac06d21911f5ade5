/** What `uphop upgrade` takes and returns: plain data, so --json prints it as it is. */
import type { AgentsResult } from '../agents/index.js';
import type { Emit } from '../events.js';
import type { StoreOptions } from '../store/types.js';

export interface UpgradeOptions {
  /** target version, or "latest" */
  to: string;
  /** file:///dir, a folder, or s3://bucket/prefix */
  store: string;
  /** the manager root (default /) */
  root: string;
  /** publisher's public key file: checks the catalog, every bundle, and install's verify */
  trust?: string;
  allowUnsigned?: boolean;
  /** site values: needed when the chain starts with a fresh install */
  values?: string;
  dryRun?: boolean;
  noRollback?: boolean;
  notify?: string;
  ignorePreflight?: string[];
  stopTimeoutMs?: number;
  /** roll the agents out after the last hop (intermediate hops never do: agents go straight to the final version) */
  agents?: boolean;
  /** download folder; default <root>/var/lib/uphop/downloads (installed bundles are removed from it) */
  cache?: string;
  product?: string;
  /** folder of catalogs.json; default <root>/var/lib/uphop, the manager's own memory */
  home?: string;
  storeOptions?: StoreOptions;
  partSize?: number;
  concurrency?: number;
  retries?: number;
  emit?: Emit;
}

/** a hop's bundle in the cache: complete, partly downloaded (bytes), or not there */
export type CacheState = 'downloaded' | 'partial' | 'missing';

export interface HopOutcome {
  from: string;
  to: string;
  file: string;
  size: number;
  sha256: string;
  /** before this run */
  cached: CacheState;
  cachedBytes: number;
  /** this run: bytes transferred (0 when the file was already there) */
  fetched?: number;
  install: 'installed' | 'nothing-to-do' | 'failed' | 'not-run';
  ms?: number;
  error?: { code: string; message: string };
}

export interface UpgradeResult {
  outcome: 'upgraded' | 'nothing-to-do' | 'dry-run';
  product: string;
  /** installed before this run ("none" when nothing was) */
  from: string;
  to: string;
  store: string;
  catalogVersion: number;
  cache: string;
  hops: HopOutcome[];
  /** bytes still to download for this plan (dry run) or downloaded by this run */
  bytes: number;
  ms: number;
  message: string;
  /** the agent rollout after the last hop */
  agents?: AgentsResult;
}
