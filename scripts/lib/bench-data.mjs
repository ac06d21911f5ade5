/**
 * Generated inputs for bench-build: text that compresses like real service logs
 * (plain lines and JSON lines, gzip -6 shrinks them several-fold), and packages
 * that do not compress any more (random bytes in a gzip stream). Deterministic per
 * seed, written with backpressure so memory stays small.
 */
import { randomFillSync } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';

const LEVELS = ['INFO', 'INFO', 'INFO', 'DEBUG', 'WARN', 'ERROR'];
const PATHS = ['/api/items', '/api/items/:id', '/api/jobs', '/health', '/api/tags', '/api/agents/:id/report', '/login'];
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'];
const WORDS = 'request completed processing batch of items for tenant while syncing agent inventory cache miss retry scheduled upstream timeout'.split(' ');

function prng(seed) {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

function* logChunks(bytes, seed) {
  const rnd = prng(seed);
  const pick = (a) => a[Math.floor(rnd() * a.length)];
  let t = Date.UTC(2024, 4, 1) + seed * 1000;
  let left = bytes;
  while (left > 0) {
    const lines = [];
    let size = 0;
    while (size < 1 << 20) {
      t += Math.floor(rnd() * 40);
      const ts = new Date(t).toISOString();
      const id = Math.floor(rnd() * 0xffffffff)
        .toString(16)
        .padStart(8, '0');
      const line =
        rnd() < 0.5
          ? `${ts} ${pick(LEVELS).padEnd(5)} [worker-${Math.floor(rnd() * 8)}] ${pick(WORDS)} ${pick(WORDS)} ${pick(WORDS)} id=${id} path=${pick(PATHS).replace(':id', String(Math.floor(rnd() * 5000)))} status=${rnd() < 0.9 ? 200 : 503} ms=${Math.floor(rnd() * 300)}\n`
          : `{"ts":"${ts}","level":"${pick(LEVELS).toLowerCase()}","user":"${pick(USERS)}","request_id":"${id}","path":"${pick(PATHS)}","items":${Math.floor(rnd() * 200)},"msg":"${pick(WORDS)} ${pick(WORDS)}"}\n`;
      lines.push(line);
      size += line.length;
    }
    let chunk = Buffer.from(lines.join(''));
    if (chunk.length > left) chunk = chunk.subarray(0, left);
    left -= chunk.length;
    yield chunk;
  }
}

/** `bytes` of log-like text */
export const writeLogFile = (file, bytes, seed) => pipeline(Readable.from(logChunks(bytes, seed)), createWriteStream(file));

function* randomChunks(bytes) {
  for (let left = bytes; left > 0; left -= 1 << 20) yield randomFillSync(Buffer.allocUnsafe(Math.min(1 << 20, left)));
}

/**
 * a gzip file of about `bytes`: random content, as incompressible as a real package's
 * payload (level 0 only makes generating it fast; gzip -6 gains nothing either way)
 */
export const writeGzFile = (file, bytes) => pipeline(Readable.from(randomChunks(bytes)), createGzip({ level: 0 }), createWriteStream(file));
