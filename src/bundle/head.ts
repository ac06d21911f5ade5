/**
 * The head of a bundle: `<top>/` (optional), `<top>/bundle.json` as the first
 * file, then `<top>/bundle.json.sig` when signed. Reading it needs only the
 * first few kilobytes of the archive.
 */
import { refusal } from '../errors.js';
import { MANIFEST_NAME, SIGNATURE_NAME } from './manifest.js';
import { LIMITS, limitRefusal } from './limits.js';
import { isSafeTopDir } from './paths.js';
import { bundleRefusal } from './refusals.js';
import type { TarEntry } from './tar-entries.js';

export interface BundleHead {
  topDir: string;
  manifestBytes: Buffer;
  signature?: Buffer;
  /** the entry after the head, body unread (only when asked for) */
  next?: TarEntry;
}

const SIGNATURE_MAX = 4096;

/** the writer gives the top folder 0755 and the head files 0644; another mode would mean something else to tar -x */
function requireMode(label: string, e: TarEntry, mode: number): void {
  if (e.mode !== mode) throw bundleRefusal.ambiguous(label, e.path, `its mode is ${e.mode.toString(8).padStart(4, '0')}, not ${mode.toString(8).padStart(4, '0')}`);
}

async function collect(entry: TarEntry): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of entry.body()) parts.push(Buffer.from(p)); // copy: p may view a larger chunk
  return Buffer.concat(parts);
}

/** lookahead: also pull the entry after bundle.json when there is no signature (verify needs it; inspect does not) */
export async function readHead(entries: AsyncIterator<TarEntry>, label: string, lookahead: boolean): Promise<BundleHead> {
  let r = await entries.next();
  if (r.done) throw bundleRefusal.corrupt(label, 'the archive is empty');
  let top: string | undefined;
  if (r.value.type === '5') {
    top = r.value.path.replace(/\/$/, '');
    if (!isSafeTopDir(top)) throw bundleRefusal.noManifest(label, r.value.path);
    requireMode(label, r.value, 0o755);
    r = await entries.next();
    if (r.done) throw bundleRefusal.noManifest(label, 'nothing after the top folder');
  }
  const first = r.value;
  const [dir, name, ...rest] = first.path.split('/');
  if (first.type !== '0' || name !== MANIFEST_NAME || rest.length || !isSafeTopDir(dir) || (top !== undefined && dir !== top)) throw bundleRefusal.noManifest(label, first.path);
  if (first.size > LIMITS.manifest) throw limitRefusal(label, `its bundle.json is ${first.size} bytes`, `${LIMITS.manifest} bytes`);
  requireMode(label, first, 0o644);
  const head: BundleHead = { topDir: dir, manifestBytes: await collect(first) };
  r = await entries.next();
  if (!r.done && r.value.type === '0' && r.value.path === `${dir}/${SIGNATURE_NAME}`) {
    if (r.value.size > SIGNATURE_MAX) throw refusal('BUNDLE_BAD_SIGNATURE', `${label}: ${r.value.path} is ${r.value.size} bytes, not a signature.`, 'Ask the publisher for a correctly signed bundle.');
    requireMode(label, r.value, 0o644);
    head.signature = await collect(r.value);
    if (!lookahead) return head;
    r = await entries.next();
  }
  if (!r.done) head.next = r.value;
  return head;
}
