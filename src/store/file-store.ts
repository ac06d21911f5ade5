/**
 * file:///dir store. Writes go to a temp file in the same folder and are renamed
 * into place, so readers never see half an object. Conditional writes: ifNoneMatch
 * '*' is atomic (hard link fails when the target exists); ifMatch is a check-then-
 * rename, best effort like on S3 servers that ignore it.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { refusal } from '../errors.js';
import { checkKey } from './keys.js';
import { objectChanged, objectMissing } from './errors.js';
import type { ChunkSink, GetOptions, ObjectInfo, PutBody, PutOptions, Store } from './types.js';

const READ_BUFFER = 1024 * 1024;

const isTemp = (name: string) => name.startsWith('.') && name.includes('.tmp-');

export class FileStore implements Store {
  constructor(
    readonly url: string,
    private readonly root: string,
  ) {}

  private pathOf(key: string) {
    return path.join(this.root, ...checkKey(key).split('/'));
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const st = await fs.stat(this.pathOf(key), { bigint: true });
      if (!st.isFile()) return undefined;
      return { key, size: Number(st.size), etag: `"${st.size.toString(16)}-${st.mtimeNs.toString(16)}-${st.ino.toString(16)}"`, modified: st.mtime };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async get(key: string, opts: GetOptions = {}): Promise<Readable> {
    const info = await this.head(key);
    if (!info) throw objectMissing(this.url, key);
    if (opts.ifMatch && opts.ifMatch !== info.etag) throw objectChanged(this.url, key);
    const { start = 0, end } = opts.range ?? {};
    return createReadStream(this.pathOf(key), { start, end, highWaterMark: 256 * 1024 });
  }

  async read(key: string, opts: GetOptions, sink: ChunkSink): Promise<void> {
    const info = await this.head(key);
    if (!info) throw objectMissing(this.url, key);
    if (opts.ifMatch && opts.ifMatch !== info.etag) throw objectChanged(this.url, key);
    const { start = 0, end = info.size - 1 } = opts.range ?? {};
    const last = Math.min(end, info.size - 1);
    const fh = await fs.open(this.pathOf(key), 'r');
    try {
      const buf = Buffer.allocUnsafe(Math.min(READ_BUFFER, Math.max(1, last - start + 1)));
      for (let pos = start; pos <= last; ) {
        const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, last - pos + 1), pos);
        if (bytesRead === 0) break; // the file shrank: the caller sees a short range
        await sink(buf.subarray(0, bytesRead));
        pos += bytesRead;
      }
    } finally {
      await fh.close();
    }
  }

  async put(key: string, body: PutBody, opts: PutOptions = {}): Promise<{ etag: string }> {
    const target = this.pathOf(key);
    await fs.mkdir(path.dirname(target), { recursive: true });
    const tmp = path.join(path.dirname(target), `.${path.basename(target)}.tmp-${randomBytes(6).toString('hex')}`);
    try {
      await pipeline(toStream(body), counter(opts.onProgress), createWriteStream(tmp));
      if (opts.ifMatch !== undefined) {
        const cur = await this.head(key);
        if (cur?.etag !== opts.ifMatch) throw preconditionFailed(this.url, key);
      }
      if (opts.ifNoneMatch === '*') {
        await fs.link(tmp, target).catch((e) => {
          throw (e as NodeJS.ErrnoException).code === 'EEXIST' ? preconditionFailed(this.url, key) : e;
        });
        await fs.rm(tmp, { force: true });
      } else {
        await fs.rename(tmp, target);
      }
    } finally {
      await fs.rm(tmp, { force: true });
    }
    return { etag: (await this.head(key))!.etag };
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    const walk = async (dir: string, rel: string): Promise<void> => {
      const names = await fs.readdir(dir, { withFileTypes: true }).catch((e) => {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw e;
      });
      for (const d of names) {
        const key = rel ? `${rel}/${d.name}` : d.name;
        if (d.isDirectory()) await walk(path.join(dir, d.name), key);
        else if (d.isFile() && !isTemp(d.name) && key.startsWith(prefix)) {
          const info = await this.head(key);
          if (info) out.push(info);
        }
      }
    };
    // walk only the folder part of the prefix: listing entries/ must not read the whole store
    const dirPart = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    await walk(dirPart ? this.pathOf(dirPart) : this.root, dirPart);
    return out.sort((a, b) => (a.key < b.key ? -1 : 1));
  }

  async delete(key: string): Promise<void> {
    await fs.rm(this.pathOf(key), { force: true });
  }

  close(): void {}
}

const preconditionFailed = (url: string, key: string) => refusal('STORE_PRECONDITION_FAILED', `The object "${key}" in ${url} was changed by someone else meanwhile.`, 'Run the command again.');

function toStream(body: PutBody): Readable {
  return typeof body === 'string' || Buffer.isBuffer(body) ? Readable.from([Buffer.from(body)]) : body;
}

function counter(onProgress?: (done: number) => void): Transform {
  let done = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      done += chunk.length;
      onProgress?.(done);
      cb(null, chunk);
    },
  });
}
