/** Copies an agent package (http(s) URL or local path) to a file, hashing while copying. */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export class UpgradeRefused extends Error {
  constructor(code, message, status = 400) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

async function openSource({ url, path }) {
  if (typeof url === 'string') {
    if (!/^https?:\/\//.test(url)) throw new UpgradeRefused('BAD_SOURCE', 'url must be http:// or https://');
    let res;
    try {
      res = await fetch(url);
    } catch (err) {
      throw new UpgradeRefused('DOWNLOAD_FAILED', `cannot download ${url}: ${err.message}`, 502);
    }
    if (!res.ok || !res.body) throw new UpgradeRefused('DOWNLOAD_FAILED', `downloading ${url} answered ${res.status}`, 502);
    return Readable.fromWeb(res.body);
  }
  if (typeof path === 'string') return createReadStream(path);
  throw new UpgradeRefused('BAD_SOURCE', 'the body needs "url" or "path" of the agent package');
}

/** streams the package into `dest`; resolves with its sha256 (hex) */
export async function fetchPackage(source, dest) {
  const hash = createHash('sha256');
  const hasher = new Transform({
    transform(chunk, _enc, cb) {
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  const input = await openSource(source);
  try {
    await pipeline(input, hasher, createWriteStream(dest, { mode: 0o600 }));
  } catch (err) {
    if (err instanceof UpgradeRefused) throw err;
    throw new UpgradeRefused('DOWNLOAD_FAILED', `cannot read the package: ${err.message}`, 502);
  }
  return hash.digest('hex');
}
