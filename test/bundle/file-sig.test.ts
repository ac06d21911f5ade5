/**
 * The detached whole-file signature against two independent ed25519s: Node's
 * (one buffer) and OpenSSL 3's `pkeyutl -rawin`. Randomized messages from a
 * printed seed; keys are fresh each run. Also: tampered signatures, S >= L
 * (the malleable twin), a file changed while it is signed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { L, leInt } from '../../src/bundle/ed25519.js';
import { checkBesideSignature, signFile, verifyFile, writeFileSignature } from '../../src/bundle/file-sig.js';

const seed = process.env.UPHOP_SEED ?? randomBytes(8).toString('hex');
console.log(`file-sig seed ${seed} (UPHOP_SEED=${seed} to repeat)`);
/** deterministic bytes from the seed */
const bytes = (n: number, tag: string) => {
  const out = Buffer.alloc(n);
  for (let i = 0, block = 0; i < n; block++) i += createHash('sha512').update(`${seed}/${tag}/${block}`).digest().copy(out, i);
  return out;
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'uphop-file-sig-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('whole-file ed25519', () => {
  it('agrees with Node both ways on random messages, and refuses every tampered signature', async () => {
    const file = path.join(dir, 'm.bin');
    for (let i = 0; i < 24; i++) {
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      const size = Number(leInt(bytes(3, `size${i}`)) % (i < 20 ? 5000n : 3_000_000n));
      const msg = bytes(size, `msg${i}`);
      await writeFile(file, msg);
      const ours = await signFile(file, privateKey);
      expect(verify(null, msg, publicKey, ours), `message ${i} (${size} bytes)`).toBe(true);
      const theirs = sign(null, msg, privateKey);
      expect(await verifyFile(file, theirs, publicKey)).toBe(true);
      const bad = Buffer.from(theirs);
      const at = Number(leInt(bytes(1, `flip${i}`)) % 64n);
      bad[at] ^= 1 << (i % 8);
      expect(await verifyFile(file, bad, publicKey), `flipped byte ${at}`).toBe(false);
      expect(verify(null, msg, publicKey, bad)).toBe(false);
      // another key, and a truncated signature
      expect(await verifyFile(file, theirs, generateKeyPairSync('ed25519').publicKey)).toBe(false);
      expect(await verifyFile(file, theirs.subarray(0, 63), publicKey)).toBe(false);
    }
  });

  it('is deterministic, and refuses S + L (same point, non-canonical scalar) like Node does', async () => {
    const file = path.join(dir, 'd.bin');
    await writeFile(file, bytes(10_000, 'det'));
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const a = await signFile(file, privateKey);
    expect((await signFile(file, privateKey)).equals(a)).toBe(true);
    let s = leInt(a.subarray(32)) + L;
    const twin = Buffer.from(a);
    for (let i = 32; i < 64; i++, s >>= 8n) twin[i] = Number(s & 0xffn);
    expect(await verifyFile(file, twin, publicKey)).toBe(false);
  });

  it('never returns a signature of bytes other than those whose sha256 it was given', async () => {
    const file = path.join(dir, 'c.bin');
    await writeFile(file, bytes(4096, 'changed'));
    const { privateKey } = generateKeyPairSync('ed25519');
    const stale = { sha256: createHash('sha256').update(bytes(4096, 'changed')).digest('hex'), size: 4096 };
    await appendFile(file, 'x');
    await expect(signFile(file, privateKey, stale)).rejects.toMatchObject({ code: 'BUNDLE_CHANGED' });
  });

  it('a .sig beside the archive that is not 64 bytes, or not a file, is refused (exit 3) without reading it', async () => {
    const file = path.join(dir, 'S.tar.gz');
    await writeFile(file, bytes(1000, 'beside'));
    const { publicKey } = generateKeyPairSync('ed25519');
    expect(await checkBesideSignature(file, publicKey)).toBeUndefined(); // none beside: the embedded signature decides
    expect(await checkBesideSignature(file, undefined)).toBeUndefined();
    await writeFile(`${file}.sig`, Buffer.alloc(5_000_000));
    await expect(checkBesideSignature(file, publicKey)).rejects.toMatchObject({ code: 'BUNDLE_SIG_UNREADABLE', exitCode: 3 });
    await rm(`${file}.sig`);
    await mkdir(`${file}.sig`);
    await expect(checkBesideSignature(file, publicKey)).rejects.toMatchObject({ code: 'BUNDLE_SIG_UNREADABLE', exitCode: 3 });
    await rm(`${file}.sig`, { recursive: true });
    await writeFile(`${file}.sig`, Buffer.alloc(64));
    await expect(checkBesideSignature(file, publicKey)).rejects.toMatchObject({ code: 'BUNDLE_BAD_FILE_SIGNATURE', exitCode: 3 });
  });

  it('OpenSSL 3 checks it with the documented command, and refuses a changed file', async () => {
    const file = path.join(dir, 'B.tar.gz');
    await writeFile(file, bytes(2_000_000, 'openssl'));
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const pub = path.join(dir, 'publisher.pub');
    await writeFile(pub, publicKey.export({ format: 'pem', type: 'spki' }));
    await writeFileSignature(file, privateKey);
    const ok = execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', pub, '-rawin', '-in', file, '-sigfile', `${file}.sig`], { encoding: 'utf8' });
    expect(ok).toContain('Signature Verified Successfully');
    await appendFile(file, Buffer.from([0]));
    const bad = spawnSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', pub, '-rawin', '-in', file, '-sigfile', `${file}.sig`], { encoding: 'utf8' });
    expect(bad.status).not.toBe(0);
  });
});
