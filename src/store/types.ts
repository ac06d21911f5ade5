/**
 * The object-storage contract distribution code is written against. Two
 * implementations (file://, s3://); everything above them (catalog, publish,
 * fetch) only sees keys relative to the store's root/prefix.
 */
import type { Readable } from 'node:stream';

export interface ObjectInfo {
  /** relative to the store root, '/'-separated */
  key: string;
  size: number;
  /** opaque version tag: changes whenever the object's bytes change */
  etag: string;
  modified?: Date;
}

/** inclusive byte range, like HTTP Range; end defaults to the last byte */
export interface ByteRange {
  start: number;
  end?: number;
}

export interface GetOptions {
  range?: ByteRange;
  /** fail with a refusal when the object's etag is no longer this one */
  ifMatch?: string;
}

export interface PutOptions {
  /** only overwrite when the current etag is this (best effort where the backend ignores it) */
  ifMatch?: string;
  /** '*' = only create; best effort where the backend ignores it (s3rver does) */
  ifNoneMatch?: string;
  contentType?: string;
  /** bytes uploaded so far, for progress on large streamed uploads */
  onProgress?: (done: number) => void;
}

export type PutBody = Readable | Buffer | string;

/**
 * Takes the bytes of an object in order. The buffer is reused for the next chunk:
 * the sink is done with it when it returns, or when its promise settles (the read
 * waits for that). A sink that throws or rejects ends the read with its error.
 */
export type ChunkSink = (chunk: Buffer) => void | Promise<void>;

export interface Store {
  /** the URL it was opened with, normalised (no trailing slash) */
  readonly url: string;
  get(key: string, opts?: GetOptions): Promise<Readable>;
  /**
   * The same bytes as get, for large downloads: read into one reused buffer
   * (no allocation per network read) and handed to the sink; resolves once the
   * sink has taken the last byte. Errors are the same as get's.
   */
  read(key: string, opts: GetOptions, sink: ChunkSink): Promise<void>;
  /** undefined when there is no such object */
  head(key: string): Promise<ObjectInfo | undefined>;
  put(key: string, body: PutBody, opts?: PutOptions): Promise<{ etag: string }>;
  list(prefix: string): Promise<ObjectInfo[]>;
  delete(key: string): Promise<void>;
  close(): void;
}

export interface StoreOptions {
  /** S3 endpoint URL (else AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, else AWS) */
  endpoint?: string;
  region?: string;
  pathStyle?: boolean;
  /** explicit credentials; else the standard env/profile chain */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** environment to read AWS_* from (the CLI passes its context's env) */
  env?: NodeJS.ProcessEnv;
  /** base directory for relative file store paths */
  cwd?: string;
}
