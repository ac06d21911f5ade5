/** Signed reference bundles, keys and doctored stores for the upgrade tests, made with the built CLI. */
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { loadPrivateKey, signBytes } from '../../src/bundle/sign.js';
import { cli } from '../helpers/manager.js';

export interface Keys {
  key: string;
  pub: string;
}

/** s3rver's credentials, for the CLI run as a child process */
export const S3_ENV = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };
const EPOCH = { SOURCE_DATE_EPOCH: '1700000000' };

export async function keygen(dir: string): Promise<Keys> {
  const r = await cli(['keygen', '--out', dir]);
  expect(r.code, r.stderr).toBe(0);
  return { key: path.join(dir, 'uphop-signing.key'), pub: path.join(dir, 'uphop-signing.pub') };
}

/** every reference hop, built and signed like a release engineer does (the global setup's are unsigned) */
export async function buildSigned(keys: Keys, out: string): Promise<string> {
  const r = await cli(['build', '--all', '--out', out, '--sign-key', keys.key], EPOCH);
  expect(r.code, r.stderr).toBe(0);
  return out;
}

/** one hop of a modified project (test/helpers/variant.ts), signed */
export async function buildSignedHop(hopDir: string, keys: Keys, out: string): Promise<string> {
  const r = await cli(['build', hopDir, '--out', out, '--sign-key', keys.key], EPOCH);
  expect(r.code, r.stderr).toBe(0);
  return path.join(out, `beacon-${path.basename(hopDir)}.tar.gz`);
}

/** a copy of a file:// store whose catalog, validly signed, expired yesterday */
export async function expireCatalog(storeUrl: string, keys: Keys, dir: string): Promise<string> {
  await cp(fileURLToPath(storeUrl), dir, { recursive: true });
  const file = path.join(dir, 'catalog.json');
  const c = JSON.parse(await readFile(file, 'utf8'));
  c.expires = new Date(Date.now() - 86_400_000).toISOString();
  c.version += 1;
  const bytes = Buffer.from(JSON.stringify(c, null, 2) + '\n');
  await writeFile(file, bytes);
  await writeFile(`${file}.sig`, signBytes(bytes, await loadPrivateKey(keys.key)));
  return `file://${dir}`;
}
