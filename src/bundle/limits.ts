/**
 * The reader's bounds on metadata, checked before (and independently of) the
 * signature: a few MB of hostile input cannot make it spend much memory or time.
 * Real bundles are far inside them (see docs/trust-reader.md).
 */
import { refusal, type UphopError } from '../errors.js';

export const LIMITS = {
  /** bytes of one PAX extended header body (a path of PATH_MAX plus a size fits easily) */
  paxHeader: 8 * 1024,
  /** records in one PAX header: uphop writes at most path and size */
  paxKeys: 2,
  /** header blocks plus PAX bodies in the whole archive */
  metadataBytes: 64 * 1024 * 1024,
  /** entries (files and folders) in the archive */
  entries: 50_000,
  /** folder entries in the archive */
  dirs: 20_000,
  /** bytes of a path */
  pathBytes: 4096,
  /** bytes of bundle.json (about 25,000 files) */
  manifest: 4 * 1024 * 1024,
  /** nesting depth and number of objects/arrays in bundle.json: JSON.parse of deep or dense input costs far more memory than its size */
  jsonDepth: 32,
  jsonContainers: 200_000,
  /** zero blocks after the end-of-archive marker (a 10 KiB tar record at most) */
  tailBlocks: 20,
  /** decompressed bytes per compressed byte, once past the first bombSlack bytes */
  expansion: 250,
  bombSlack: 64 * 1024 * 1024,
} as const;

export const limitRefusal = (bundle: string, what: string, limit: number | string): UphopError =>
  refusal(
    'BUNDLE_LIMIT',
    `${bundle} is refused: ${what} (the limit is ${limit}).`,
    'uphop refuses bundles beyond these bounds before checking anything else; if this is a genuine bundle, ask the publisher to split it or rebuild it with `uphop build`.',
  );
