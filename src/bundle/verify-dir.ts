/**
 * Verifies an already-extracted bundle folder (what ./install.sh runs from):
 * the same signature policy as the archive, then every file's size and sha256,
 * nothing extra, no links, FIFOs or devices (each is lstat'ed before it is
 * opened: reading a FIFO would block forever). Modes are compared by their
 * executable bit only: a customer's tar and umask decide the rest.
 */
import { lstat, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { silent } from '../events.js';
import { hashFile } from './hash.js';
import { LIMITS, limitRefusal } from './limits.js';
import { MANIFEST_NAME, SIGNATURE_NAME } from './manifest.js';
import { bundleRefusal } from './refusals.js';
import type { VerifiedBundle, VerifyOptions } from './scan.js';
import { checkSignature } from './trust.js';
import { parseManifest } from './validate.js';

async function walk(dir: string, label: string, rel = '', out: string[] = []): Promise<string[]> {
  for (const d of await readdir(path.join(dir, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${d.name}` : d.name;
    if (out.length >= LIMITS.entries) throw limitRefusal(label, `it holds more than ${LIMITS.entries} files`, `${LIMITS.entries} files`);
    if (d.isDirectory()) await walk(dir, label, p, out);
    else if (d.isFile()) out.push(p);
    else throw bundleRefusal.unsafePath(label, p, d.isSymbolicLink() ? 'a bundle holds no symbolic links' : 'a bundle holds only plain files');
  }
  return out;
}

/** a head file's bytes: only a plain file of bounded size is opened */
async function readHeadFile(dir: string, name: string, max: number, label: string): Promise<Buffer | undefined> {
  const st = await lstat(path.join(dir, name)).catch(() => undefined);
  if (!st) return undefined;
  if (!st.isFile()) throw bundleRefusal.unsafePath(label, name, 'it is not a plain file');
  if (st.size > max) throw limitRefusal(label, `its ${name} is ${st.size} bytes`, `${max} bytes`);
  return readFile(path.join(dir, name));
}

export async function verifyDirectory(dir: string, opts: VerifyOptions = {}): Promise<VerifiedBundle> {
  const emit = opts.emit ?? silent;
  const label = dir;
  const manifestBytes = await readHeadFile(dir, MANIFEST_NAME, LIMITS.manifest, label);
  if (!manifestBytes) throw bundleRefusal.missingFile(label, MANIFEST_NAME, 0);
  const signature = await readHeadFile(dir, SIGNATURE_NAME, 4096, label);
  const verdict = await checkSignature(label, manifestBytes, signature, opts, emit);
  const manifest = parseManifest(manifestBytes, label);
  const present = new Set((await walk(dir, label)).filter((p) => p !== MANIFEST_NAME && p !== SIGNATURE_NAME));
  const listed = Object.keys(manifest.files);
  const missing = listed.filter((p) => !present.has(p));
  if (missing.length) throw bundleRefusal.missingFile(label, missing[0], missing.length - 1);
  const extra = [...present].find((p) => !Object.hasOwn(manifest.files, p)); // not `in`: "constructor" is in every object
  if (extra) throw bundleRefusal.extraFile(label, extra);
  let bytes = 0;
  let done = 0;
  for (const p of listed) {
    const want = manifest.files[p];
    const file = path.join(dir, p);
    const st = await lstat(file);
    if (!st.isFile()) throw bundleRefusal.unsafePath(label, p, 'it is not a plain file');
    const got = await hashFile(file);
    if (got.size !== want.size) throw bundleRefusal.modified(label, p, `size ${got.size}, expected ${want.size}`);
    if (got.sha256 !== want.sha256) throw bundleRefusal.modified(label, p, 'sha256 differs');
    if (((st.mode & 0o111) !== 0) !== ((parseInt(want.mode, 8) & 0o111) !== 0)) throw bundleRefusal.modified(label, p, `mode ${(st.mode & 0o777).toString(8)}, expected ${want.mode}`);
    bytes += got.size;
    emit({ type: 'progress', task: 'verify', done: ++done, total: listed.length, unit: 'items' });
  }
  return { manifest, manifestBytes, topDir: path.basename(dir), signer: verdict.signer, signed: verdict.signed, files: listed.length, bytes };
}
