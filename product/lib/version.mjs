/**
 * The version this program speaks. The packer injects BEACON_VERSION (esbuild define),
 * so each packed version really behaves like its release; run from source, it is
 * taken from the environment (default: the newest version).
 */
import semver from 'semver';

/* global BEACON_VERSION */
export const VERSION = typeof BEACON_VERSION === 'string' ? BEACON_VERSION : process.env.BEACON_VERSION || '4.2.0';

/** true when this program is at least version v (version-gated behaviour) */
export const atLeast = (v) => semver.gte(VERSION, v);

/** what the schema looks like for this version: the domain code and /health rely on it */
export const features = {
  tags: atLeast('4.0.1'),
  slug: atLeast('4.1.1'),
  /** 4.2.0 renamed items.name to items.title */
  titleColumn: atLeast('4.2.0') ? 'title' : 'name',
  /** before 4.2.0 the worker wrote heartbeats to their own table; 4.2.0 keeps them in settings */
  heartbeatTable: !atLeast('4.2.0'),
};
