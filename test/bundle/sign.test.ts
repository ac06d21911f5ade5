import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fingerprint, generateKeyPair, loadPrivateKey, loadPublicKey, signBytes, verifyBytes } from '../../src/bundle/sign.js';
import { extractBundle } from '../../src/bundle/extract.js';
import { verifyBundle } from '../../src/bundle/verify.js';
import { buildBundle, cleanup, expectRefusal, tmpDir } from './fixtures.js';

afterEach(cleanup);

const usage = async (p: Promise<unknown>, code: string) => {
  const e = await p.then(
    () => null,
    (err) => err,
  );
  expect({ code: e?.code, exitCode: e?.exitCode }).toEqual({ code, exitCode: 2 });
  expect(e.hint).toBeTruthy();
};

describe('keys', () => {
  it('generates an ed25519 pair: private key 0600, never overwritten', async () => {
    const dir = await tmpDir();
    const k = await generateKeyPair(dir);
    expect(k.privateKeyPath).toBe(join(dir, 'uphop-signing.key'));
    expect(k.publicKeyPath).toBe(join(dir, 'uphop-signing.pub'));
    expect((await stat(k.privateKeyPath)).mode & 0o777).toBe(0o600);
    expect(await readFile(k.privateKeyPath, 'utf8')).toContain('BEGIN PRIVATE KEY');
    expect(await readFile(k.publicKeyPath, 'utf8')).toContain('BEGIN PUBLIC KEY');
    expect(k.fingerprint).toMatch(/^ed25519:[0-9a-f]{16}$/);
    expect(fingerprint(await loadPublicKey(k.publicKeyPath))).toBe(k.fingerprint);
    expect(fingerprint(await loadPrivateKey(k.privateKeyPath))).toBe(k.fingerprint);

    const before = await readFile(k.privateKeyPath);
    await usage(generateKeyPair(dir), 'KEY_EXISTS');
    expect(await readFile(k.privateKeyPath)).toEqual(before);
  });

  it('rejects missing files, non-keys and non-ed25519 keys with exit 2', async () => {
    const dir = await tmpDir();
    await usage(loadPublicKey(join(dir, 'nope.pub')), 'KEY_NOT_FOUND');
    await usage(loadPrivateKey(join(dir, 'nope.key')), 'KEY_NOT_FOUND');
    await writeFile(join(dir, 'junk.pem'), 'not a key\n');
    await usage(loadPublicKey(join(dir, 'junk.pem')), 'KEY_INVALID');
    await usage(loadPrivateKey(join(dir, 'junk.pem')), 'KEY_INVALID');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    await writeFile(join(dir, 'rsa.pub'), rsa.publicKey.export({ format: 'pem', type: 'spki' }));
    await writeFile(join(dir, 'rsa.key'), rsa.privateKey.export({ format: 'pem', type: 'pkcs8' }));
    await usage(loadPublicKey(join(dir, 'rsa.pub')), 'KEY_NOT_ED25519');
    await usage(loadPrivateKey(join(dir, 'rsa.key')), 'KEY_NOT_ED25519');
  });

  it('signs and verifies bytes; a changed byte or a garbage signature does not verify', async () => {
    const k = await generateKeyPair(await tmpDir());
    const key = await loadPrivateKey(k.privateKeyPath);
    const pub = await loadPublicKey(k.publicKeyPath);
    const msg = Buffer.from('{"product":"beacon"}');
    const sig = signBytes(msg, key);
    expect(sig.length).toBe(64);
    expect(verifyBytes(msg, sig, pub)).toBe(true);
    expect(verifyBytes(Buffer.from('{"product":"beacoN"}'), sig, pub)).toBe(false);
    expect(verifyBytes(msg, Buffer.from('short'), pub)).toBe(false);
  });
});

describe('signature policy', () => {
  async function setup() {
    const dir = await tmpDir();
    const publisher = await generateKeyPair(join(dir));
    const other = await generateKeyPair(join(dir, 'other'));
    const key = await loadPrivateKey(publisher.privateKeyPath);
    return { dir, publisher, other, key };
  }

  it('accepts a bundle signed by the trusted key and names the signer', async () => {
    const { dir, publisher, key } = await setup();
    const b = await buildBundle(dir, undefined, { signature: (bytes) => signBytes(bytes, key) });
    const v = await verifyBundle(b.path, { trust: publisher.publicKeyPath });
    expect(v).toMatchObject({ signed: true, signer: publisher.fingerprint });
    const asKey = await verifyBundle(b.path, { trust: await loadPublicKey(publisher.publicKeyPath) });
    expect(asKey.signer).toBe(publisher.fingerprint);
    const x = await extractBundle(b.path, join(dir, 'dest'), { trust: publisher.publicKeyPath });
    expect(await readFile(join(x.dir, 'bundle.json.sig'))).toEqual(signBytes(b.bytes, key));
    // the signature is plain ed25519 over bundle.json: openssl checks it too
    const out = execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', publisher.publicKeyPath, '-rawin', '-in', join(x.dir, 'bundle.json'), '-sigfile', join(x.dir, 'bundle.json.sig')], {
      encoding: 'utf8',
    });
    expect(out).toContain('Signature Verified Successfully');
  });

  it('refuses a bundle signed by another key', async () => {
    const { dir, other, key } = await setup();
    const b = await buildBundle(dir, undefined, { signature: (bytes) => signBytes(bytes, key) });
    const e = await expectRefusal(verifyBundle(b.path, { trust: other.publicKeyPath }), 'BUNDLE_BAD_SIGNATURE', b.path);
    expect(e.message).toContain(other.fingerprint);
  });

  it('refuses a manifest changed after signing, before looking at any file', async () => {
    const { dir, publisher, key } = await setup();
    // signed the 4.1.1 manifest, shipped one that says 4.1.2 (and whose files do not match either)
    const b = await buildBundle(dir, undefined, {
      edit: (m) => {
        m.files['install.sh'].sha256 = '0'.repeat(64);
      },
      signature: (bytes) => signBytes(Buffer.from(bytes.toString().replace('"to": "4.1.1"', '"to": "4.1.2"')), key),
    });
    await expectRefusal(verifyBundle(b.path, { trust: publisher.publicKeyPath }), 'BUNDLE_BAD_SIGNATURE');
    await expectRefusal(extractBundle(b.path, join(dir, 'dest'), { trust: publisher.publicKeyPath }), 'BUNDLE_BAD_SIGNATURE');
  });

  it('refuses an unsigned bundle unless allowUnsigned, even with a trusted key', async () => {
    const { dir, publisher } = await setup();
    const b = await buildBundle(dir);
    await expectRefusal(verifyBundle(b.path), 'BUNDLE_UNSIGNED', b.path);
    await expectRefusal(verifyBundle(b.path, { trust: publisher.publicKeyPath }), 'BUNDLE_UNSIGNED');
    expect(await verifyBundle(b.path, { allowUnsigned: true })).toMatchObject({ signed: false });
  });

  it('refuses a signed bundle without a trusted key, and says to pass --trust', async () => {
    const { dir, key } = await setup();
    const b = await buildBundle(dir, undefined, { signature: (bytes) => signBytes(bytes, key) });
    const e = await expectRefusal(verifyBundle(b.path), 'BUNDLE_UNTRUSTED', b.path);
    expect(e.hint).toContain('--trust');
    const v = await verifyBundle(b.path, { allowUnsigned: true });
    expect(v.signed).toBe(true);
    expect(v.signer).toBeUndefined();
  });
});
