#!/usr/bin/env node
/**
 * bench:fetch — on one 1 GiB object in s3rver (loopback), time uphop's fetch
 * engine (one ranged stream, or parallel ranges when the first part is slow;
 * positioned writes; sha256 of each chunk as it arrives; resumable sidecar)
 * against a plain streamed GetObject to a file, and measure
 * the fetch's peak RSS. Each download runs in its own child process so its
 * memory is its own; the server runs here. Targets: plain/fetch >= 0.9 and
 * fetch peak RSS < 150 MB. Needs `npm run build` (imports dist/). Everything
 * lives in one temp folder, deleted at the end.
 *
 *   node scripts/bench-fetch.mjs [--size-mib 1024] [--rounds 2]
 *
 * Tuning knobs for experiments: BENCH_CONCURRENCY (1 = one stream), BENCH_PART_MIB,
 * BENCH_FAST_MIBS (first-part MiB/s at or above which no parallel ranges are tried).
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(process.env.UPHOP_DIST ?? path.join(ROOT, 'dist'), 'store');
const BUCKET = 'bench';
const KEY = 'bench-object.bin';
const CREDS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const MiB = 1024 * 1024;

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};

// ---- child: one download, prints {ms, maxRssMB, bytes} as JSON ----
if (process.argv[2] === '--child') {
  const [, , , mode, endpoint, dest, sha256, size] = process.argv;
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const t0 = process.hrtime.bigint();
  if (mode.startsWith('plain')) {
    const { S3Client, GetObjectCommand } = await import('@aws-sdk/client-s3');
    const { pipeline } = await import('node:stream/promises');
    const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: CREDS, responseChecksumValidation: 'WHEN_REQUIRED' });
    const r = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: KEY }));
    if (mode === 'plain+sha256') {
      // the fair reference: what a single stream costs when it also verifies what it wrote
      const hash = createHash('sha256');
      r.Body.on('data', (c) => hash.update(c));
      await pipeline(r.Body, createWriteStream(dest));
      if (hash.digest('hex') !== sha256) throw new Error('sha256 mismatch');
    } else {
      await pipeline(r.Body, createWriteStream(dest));
    }
    client.destroy();
  } else {
    const { openStore } = await import(path.join(DIST, 'open.js'));
    const { download } = await import(path.join(DIST, 'download.js'));
    const store = openStore(`s3://${BUCKET}`, { endpoint, pathStyle: true, region: 'us-east-1', credentials: CREDS, env: {} });
    const tune = {
      concurrency: Number(process.env.BENCH_CONCURRENCY) || undefined,
      partSize: Number(process.env.BENCH_PART_MIB) * MiB || undefined,
      fastLink: process.env.BENCH_FAST_MIBS === undefined ? undefined : Number(process.env.BENCH_FAST_MIBS) * MiB,
    };
    await download({ store, key: KEY, dest, expected: { sha256, size: Number(size) }, ...tune });
    store.close();
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const bytes = (await stat(dest)).size;
  const ru = process.resourceUsage();
  process.stdout.write(JSON.stringify({ ms, bytes, maxRssMB: ru.maxRSS / 1024, cpuMs: (ru.userCPUTime + ru.systemCPUTime) / 1000, sysMs: ru.systemCPUTime / 1000, minflt: ru.minorPageFault }) + '\n');
  process.exit(0);
}

// ---- parent: server, data, runs, report ----
if (!existsSync(path.join(DIST, 'download.js'))) {
  console.error('bench-fetch: dist/ is missing; run `npm run build` first.');
  process.exit(1);
}
const sizeMiB = arg('size-mib', 1024);
const rounds = arg('rounds', 2);
const work = await mkdtemp(path.join(os.tmpdir(), 'uphop-bench-fetch-'));
let server;
try {
  const { default: S3rver } = await import('s3rver');
  server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: path.join(work, 's3'), configureBuckets: [{ name: BUCKET }] });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;

  console.log(`bench-fetch: writing a ${sizeMiB} MiB random object…`);
  const src = path.join(work, 'source.bin');
  const sha256 = await writeRandom(src, sizeMiB * MiB);
  const { openStore } = await import(path.join(DIST, 'open.js'));
  const { createReadStream } = await import('node:fs');
  const store = openStore(`s3://${BUCKET}`, { endpoint, pathStyle: true, region: 'us-east-1', credentials: CREDS, env: {} });
  await store.put(KEY, createReadStream(src, { highWaterMark: MiB }));
  store.close();
  await rm(src);

  const run = async (mode) => {
    const dest = path.join(work, `${mode}.bin`);
    const server0 = process.cpuUsage(); // this process only serves meanwhile: its CPU is the server's
    const { stdout } = await promisify(execFile)(process.execPath, [fileURLToPath(import.meta.url), '--child', mode, endpoint, dest, sha256, String(sizeMiB * MiB)], { cwd: ROOT, maxBuffer: MiB });
    const server = process.cpuUsage(server0);
    await rm(dest, { force: true });
    const r = JSON.parse(stdout.trim().split('\n').at(-1));
    r.serverCpuMs = (server.user + server.system) / 1000;
    if (r.bytes !== sizeMiB * MiB) throw new Error(`${mode} wrote ${r.bytes} bytes`);
    console.log(
      `  ${mode.padEnd(12)} ${(r.ms / 1000).toFixed(2)} s  ${(r.bytes / MiB / (r.ms / 1000)).toFixed(0)} MiB/s  peak RSS ${r.maxRssMB.toFixed(0)} MB  cpu ${(r.cpuMs / 1000).toFixed(2)} s (server ${(r.serverCpuMs / 1000).toFixed(2)} s)`,
    );
    return r;
  };
  const plain = [];
  const fetch = [];
  const hashed = [];
  await run('plain'); // warm the server's page cache so neither side pays for the first disk read
  for (let i = 0; i < rounds; i++) {
    plain.push(await run('plain'));
    fetch.push(await run('fetch'));
    hashed.push(await run('plain+sha256'));
  }
  const best = (rs) => Math.min(...rs.map((r) => r.ms));
  const ratio = best(plain) / best(fetch);
  console.log(`bench-fetch: reference: (plain+sha256)/fetch time ratio ${(best(hashed) / best(fetch)).toFixed(2)}`);
  const rss = Math.max(...fetch.map((r) => r.maxRssMB));
  const okRatio = ratio >= 0.9;
  const okRss = rss < 150;
  console.log(
    `bench-fetch: plain/fetch time ratio ${ratio.toFixed(2)} (target >= 0.9: ${okRatio ? 'ok' : 'MISSED'}); ` +
      `fetch peak RSS ${rss.toFixed(0)} MB (target < 150 MB: ${okRss ? 'ok' : 'MISSED'}); fetch verifies sha256, plain does not`,
  );
  // like the other benches: a MISS is printed, not an exit code (exit 1 means the bench could not run)
} finally {
  await server?.close().catch(() => {});
  await rm(work, { recursive: true, force: true });
}

async function writeRandom(file, size) {
  const hash = createHash('sha256');
  const ws = createWriteStream(file);
  for (let left = size; left > 0; left -= MiB) {
    const chunk = randomBytes(Math.min(MiB, left));
    hash.update(chunk);
    if (!ws.write(chunk)) await new Promise((r) => ws.once('drain', r));
  }
  await new Promise((resolve, reject) => ws.end((e) => (e ? reject(e) : resolve())));
  return hash.digest('hex');
}
