#!/usr/bin/env node
/**
 * The detached whole-archive signature (<bundle>.tar.gz.sig) on a large file:
 * uphop's streamed ed25519 (sign with one read-back pass, verify in one pass)
 * against Node's one-buffer crypto.sign and OpenSSL 3's `pkeyutl -verify -rawin`
 * (what a bare manager runs). Each in a child process, so peak RSS is its own.
 *
 *   node scripts/bench-sig.mjs [--size-mib 1024]
 *
 * Target: uphop's sign + verify peak RSS < 150 MB at any size (the others grow
 * with the file: they hold it in memory). Needs `npm run build` (imports dist/).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const DIST = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bundle');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};

if (process.argv[2] === '--child') {
  const [, , , mode, file, keyFile] = process.argv;
  const key = (await import('node:crypto')).createPrivateKey(readFileSync(keyFile));
  const t0 = Date.now();
  if (mode === 'uphop') {
    const { signFile, verifyFile } = await import(pathToFileURL(path.join(DIST, 'file-sig.js')).href);
    const { hashFile } = await import(pathToFileURL(path.join(DIST, 'hash.js')).href);
    const known = await hashFile(file); // what the bundle writer hands over: taken while writing
    const t1 = Date.now();
    const sig = await signFile(file, key, known);
    const t2 = Date.now();
    if (!(await verifyFile(file, sig, (await import('node:crypto')).createPublicKey(key)))) throw new Error('does not verify');
    writeFileSync(`${file}.sig`, sig);
    console.log(JSON.stringify({ signMs: t2 - t1, verifyMs: Date.now() - t2, rssMB: Math.round(process.resourceUsage().maxRSS / 1024) }));
  } else {
    sign(null, readFileSync(file), key);
    console.log(JSON.stringify({ signMs: Date.now() - t0, rssMB: Math.round(process.resourceUsage().maxRSS / 1024) }));
  }
  process.exit(0);
}

if (!existsSync(path.join(DIST, 'file-sig.js'))) {
  console.error('bench-sig: dist/ is missing; run `npm run build` first.');
  process.exit(2);
}
const sizeMiB = arg('size-mib', 1024);
const dir = await mkdtemp(path.join(tmpdir(), 'uphop-bench-sig-'));
try {
  const file = path.join(dir, 'B.tar.gz');
  console.log(`bench-sig: writing a ${sizeMiB} MiB random file…`);
  const ws = createWriteStream(file);
  const h = createHash('sha256');
  for (let i = 0; i < sizeMiB; i++) {
    const chunk = randomBytes(1024 * 1024);
    h.update(chunk);
    if (!ws.write(chunk)) await new Promise((r) => ws.once('drain', r));
  }
  await new Promise((r) => ws.end(r));
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const keyFile = path.join(dir, 'k.pem');
  const pubFile = path.join(dir, 'publisher.pub');
  writeFileSync(keyFile, privateKey.export({ format: 'pem', type: 'pkcs8' }));
  writeFileSync(pubFile, publicKey.export({ format: 'pem', type: 'spki' }));
  const child = (mode) => JSON.parse(execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', mode, file, keyFile], { encoding: 'utf8', maxBuffer: 1 << 20 }));
  const ours = child('uphop');
  console.log(`  uphop  sign ${(ours.signMs / 1000).toFixed(2)} s, verify ${(ours.verifyMs / 1000).toFixed(2)} s, peak RSS ${ours.rssMB} MB`);
  const node = child('buffer');
  console.log(`  node   crypto.sign(whole file) ${(node.signMs / 1000).toFixed(2)} s, peak RSS ${node.rssMB} MB`);
  const t0 = Date.now();
  const o = spawnSync('/usr/bin/time', ['-f', '%M', 'openssl', 'pkeyutl', '-verify', '-pubin', '-inkey', pubFile, '-rawin', '-in', file, '-sigfile', `${file}.sig`], { encoding: 'utf8' });
  const osslMB = Math.round(Number(o.stderr.trim().split('\n').at(-1)) / 1024);
  console.log(`  openssl pkeyutl -verify -rawin ${((Date.now() - t0) / 1000).toFixed(2)} s, peak RSS ${osslMB} MB: ${o.stdout.trim() || o.stderr.trim()}`);
  const ok = ours.rssMB < 150;
  console.log(`bench-sig: uphop peak RSS ${ours.rssMB} MB for ${sizeMiB} MiB (target < 150 MB: ${ok ? 'ok' : 'MISSED'}); node ${node.rssMB} MB, openssl ${osslMB} MB`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
