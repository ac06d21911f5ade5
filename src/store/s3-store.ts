/**
 * s3://bucket/prefix on any S3-compatible endpoint. Checksums are computed only
 * when an operation requires them: the SDK's default aws-chunked trailers are
 * not understood by many S3-compatible servers (s3rver, older MinIO, Ceph).
 */
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Readable } from 'node:stream';
import { checkKey } from './keys.js';
import { objectMissing } from './errors.js';
import { rawGet, UnsupportedFraming, type RawResponse } from './http-get.js';
import { proxyAgents, proxyFor } from './proxy.js';
import { isNotFound, s3Error } from './s3-errors.js';
import type { ChunkSink, GetOptions, ObjectInfo, PutBody, PutOptions, Store, StoreOptions } from './types.js';

export interface S3Location {
  bucket: string;
  prefix: string;
}

const hasProxy = (env: NodeJS.ProcessEnv) => ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY'].some((k) => env[k]);

export class S3Store implements Store {
  private readonly client: S3Client;
  private readonly endpoint?: string;
  private readonly env: NodeJS.ProcessEnv;
  private probed?: Promise<void>;

  constructor(
    readonly url: string,
    private readonly loc: S3Location,
    opts: StoreOptions = {},
  ) {
    const env = (this.env = opts.env ?? process.env);
    // uphop supports Node 20 on purpose (air-gapped hosts); the SDK's upgrade nag would garble CLI output
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    this.endpoint = opts.endpoint ?? env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
    const envCreds =
      env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN } : undefined;
    this.client = new S3Client({
      endpoint: this.endpoint,
      // S3-compatible servers rarely have a region; AWS proper resolves it from the profile
      region: opts.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? (this.endpoint ? 'us-east-1' : undefined),
      // custom endpoints (MinIO, Ceph, s3rver) are addressed path-style unless told otherwise
      forcePathStyle: opts.pathStyle ?? (env.AWS_S3_FORCE_PATH_STYLE ? env.AWS_S3_FORCE_PATH_STYLE === 'true' : !!this.endpoint),
      credentials: opts.credentials ?? envCreds,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // the SDK reads no proxy variables itself: with one set, its requests go through agents that do (NO_PROXY per host)
      ...(hasProxy(env) ? { requestHandler: { ...proxyAgents(env), connectionTimeout: 30_000 } } : {}),
    });
  }

  private full(key: string) {
    checkKey(key);
    return this.loc.prefix ? `${this.loc.prefix}/${key}` : key;
  }

  private fail(e: unknown, key?: string) {
    return s3Error(e, { url: this.url, bucket: this.loc.bucket, key, endpoint: this.endpoint });
  }

  /**
   * HEAD answers carry no error body, so a 404 cannot tell "no such key" from
   * "no such bucket" and a 403 cannot tell bad credentials from a missing grant.
   * One tiny ranged GET on first use (of the catalog, which usually exists) gets
   * an error body that tells them apart. GET rather than LIST: object-only grants
   * are common, and s3rver cannot paginate listings.
   */
  private probe(): Promise<void> {
    this.probed ??= this.client.send(new GetObjectCommand({ Bucket: this.loc.bucket, Key: this.full('catalog.json'), Range: 'bytes=0-0' })).then(
      (r) => {
        (r.Body as Readable | undefined)?.destroy();
      },
      (e) => {
        const name = (e as { name?: string }).name;
        if (isNotFound(e) || name === 'InvalidRange') return;
        const err = this.fail(e);
        // a grant without s3:ListBucket answers 403 for a missing key: let the real call decide
        if (err.code === 'STORE_FORBIDDEN') return;
        throw err;
      },
    );
    return this.probed!;
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    await this.probe();
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.loc.bucket, Key: this.full(key) }));
      return { key, size: r.ContentLength ?? 0, etag: r.ETag ?? '', modified: r.LastModified };
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw this.fail(e, key);
    }
  }

  async get(key: string, opts: GetOptions = {}): Promise<Readable> {
    await this.probe();
    const range = opts.range ? `bytes=${opts.range.start}-${opts.range.end ?? ''}` : undefined;
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.loc.bucket, Key: this.full(key), Range: range, IfMatch: opts.ifMatch }));
      return r.Body as Readable;
    } catch (e) {
      if (isNotFound(e)) {
        throw objectMissing(this.url, key);
      }
      throw this.fail(e, key);
    }
  }

  /**
   * A presigned GET spoken by rawGet: the SDK still resolves the endpoint and
   * credentials and signs, only the body bypasses its stream (see http-get.ts).
   * Range and If-Match travel as plain headers, which a presigned URL allows.
   */
  async read(key: string, opts: GetOptions, sink: ChunkSink): Promise<void> {
    await this.probe();
    let url: string;
    try {
      url = await getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.loc.bucket, Key: this.full(key) }), { expiresIn: 900 });
    } catch (e) {
      throw this.fail(e, key);
    }
    const headers: Record<string, string> = {};
    if (opts.range) headers.Range = `bytes=${opts.range.start}-${opts.range.end ?? ''}`;
    if (opts.ifMatch) headers['If-Match'] = opts.ifMatch;
    let sinkError: unknown;
    const guarded: ChunkSink = (chunk) => {
      const noted = (e: unknown) => {
        sinkError = e;
        throw e;
      };
      try {
        return sink(chunk)?.catch(noted);
      } catch (e) {
        return noted(e);
      }
    };
    const target = new URL(url);
    const proxy = proxyFor(target, this.env);
    let res: RawResponse;
    try {
      res = await rawGet(target, guarded, { headers, proxy });
    } catch (e) {
      if (e === sinkError) throw e;
      // framing rawGet does not speak: take the SDK's stream (nothing reached the sink yet)
      if (e instanceof UnsupportedFraming) {
        for await (const chunk of await this.get(key, opts)) await sink(chunk as Buffer);
        return;
      }
      // connection-level failures (they carry a code) read like the SDK's; a body cut short stays as it is
      if ((e as { code?: string }).code) throw this.fail(e, key);
      throw e;
    }
    if (res.status >= 300) throw this.answerError(res, key);
  }

  /** an S3 error document (<Error><Code>…) as the SDK would have raised it */
  private answerError(res: RawResponse, key: string) {
    const code = /<Code>([^<]*)<\/Code>/.exec(res.body ?? '')?.[1];
    const message = /<Message>([^<]*)<\/Message>/.exec(res.body ?? '')?.[1] ?? `HTTP ${res.status}`;
    const err = Object.assign(new Error(message), { name: code ?? `HTTP ${res.status}`, $metadata: { httpStatusCode: res.status } });
    return isNotFound(err) ? objectMissing(this.url, key) : this.fail(err, key);
  }

  async put(key: string, body: PutBody, opts: PutOptions = {}): Promise<{ etag: string }> {
    await this.probe();
    const params = { Bucket: this.loc.bucket, Key: this.full(key), ContentType: opts.contentType, IfMatch: opts.ifMatch, IfNoneMatch: opts.ifNoneMatch };
    try {
      if (typeof body === 'string' || Buffer.isBuffer(body)) {
        const r = await this.client.send(new PutObjectCommand({ ...params, Body: body }));
        opts.onProgress?.(Buffer.byteLength(body));
        return { etag: r.ETag ?? '' };
      }
      // multipart, streamed: at most queueSize * partSize bytes are buffered
      const up = new Upload({ client: this.client, params: { ...params, Body: body }, partSize: 8 * 1024 * 1024, queueSize: 4 });
      up.on('httpUploadProgress', (p) => p.loaded !== undefined && opts.onProgress?.(p.loaded));
      const r = await up.done();
      return { etag: r.ETag ?? '' };
    } catch (e) {
      throw this.fail(e, key);
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    await this.probe();
    const base = this.loc.prefix ? `${this.loc.prefix}/` : '';
    const out: ObjectInfo[] = [];
    let token: string | undefined;
    try {
      do {
        const r = await this.client.send(new ListObjectsV2Command({ Bucket: this.loc.bucket, Prefix: base + prefix, ContinuationToken: token }));
        for (const o of r.Contents ?? []) {
          if (o.Key) out.push({ key: o.Key.slice(base.length), size: o.Size ?? 0, etag: o.ETag ?? '', modified: o.LastModified });
        }
        token = r.IsTruncated ? r.NextContinuationToken : undefined;
      } while (token);
    } catch (e) {
      throw this.fail(e);
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : 1));
  }

  async delete(key: string): Promise<void> {
    await this.probe();
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.loc.bucket, Key: this.full(key) }));
    } catch (e) {
      throw this.fail(e, key);
    }
  }

  close(): void {
    this.client.destroy();
  }
}
