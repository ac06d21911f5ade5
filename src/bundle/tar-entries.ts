/**
 * Pull-based tar reader over decompressed chunks: one entry at a time, its body
 * streamed (never buffered whole), skipped if the consumer does not read it.
 * Reads only the tar form the bundle writer writes: ustar headers (tar-decode.ts),
 * at most one PAX header (path/size) before an entry, zero padding, and an end
 * marker followed by nothing but a few zero blocks. Global PAX headers, GNU long
 * names and sparse files are refused; other entry types (links, devices) are
 * passed through for the caller to refuse with the entry's name.
 * Work is bounded before anything is trusted: see limits.ts.
 */
import { LIMITS, limitRefusal } from './limits.js';
import { applyPax, parsePax, type Pax } from './pax.js';
import { bundleRefusal } from './refusals.js';
import { decodeHeader, TarFormatError, type HeaderIn } from './tar-decode.js';
import { BLOCK, padding, ZERO_BLOCK } from './tar-header.js';
import { Input } from './tar-input.js';

export interface TarEntry {
  path: string;
  /** typeflag: '0' file, '5' folder, '1' hard link, '2' symlink, ... */
  type: string;
  mode: number;
  size: number;
  linkpath: string;
  /** the entry's bytes; read them before asking for the next entry, or they are skipped */
  body(): AsyncGenerator<Buffer>;
}

/** a format rule broken: named after the entry, as a path problem when it is about the name */
function formatRefusal(label: string, e: unknown): unknown {
  if (!(e instanceof TarFormatError)) return e;
  const entry = e.entry ?? '(unnamed)';
  if (e.kind === 'corrupt') return bundleRefusal.corrupt(label, `its tar data is damaged at ${JSON.stringify(entry)} (${e.message})`);
  return e.kind === 'path' ? bundleRefusal.unsafePath(label, entry, e.message) : bundleRefusal.ambiguous(label, entry, e.message);
}

const SPECIAL: Record<string, string> = {
  g: 'it is a global PAX header, which changes every later entry',
  L: 'it is a GNU long-name header',
  K: 'it is a GNU long-link header',
  S: 'it is a GNU sparse file',
  '\0': 'it has the old NUL typeflag',
};

/** drainTail: after the end marker, read the rest so gzip checks its trailer; it must be a few zero blocks */
export async function* tarEntries(src: AsyncIterable<Buffer>, label: string, drainTail: boolean): AsyncGenerator<TarEntry> {
  const input = new Input(src);
  try {
    yield* entries(input, label, drainTail);
  } catch (e) {
    throw formatRefusal(label, e);
  } finally {
    await input.close(); // also when the consumer stops early or a refusal is thrown
  }
}

class Budget {
  private meta = 0;
  private count = 0;
  private dirs = 0;
  constructor(private readonly label: string) {}
  header(bytes: number): void {
    if ((this.meta += bytes) > LIMITS.metadataBytes) throw limitRefusal(this.label, `its headers take more than ${LIMITS.metadataBytes} bytes`, `${LIMITS.metadataBytes} bytes`);
  }
  entry(type: string): void {
    if (++this.count > LIMITS.entries) throw limitRefusal(this.label, `it has more than ${LIMITS.entries} entries`, `${LIMITS.entries} entries`);
    if (type === '5' && ++this.dirs > LIMITS.dirs) throw limitRefusal(this.label, `it has more than ${LIMITS.dirs} folders`, `${LIMITS.dirs} folders`);
  }
}

async function zeroPadding(input: Input, size: number, entry: string, ends: (w: string) => Error): Promise<void> {
  const n = padding(size);
  if (n === 0) return;
  const pad = await input.take(n);
  if (!pad) throw ends(`${entry} stops early`);
  if (!pad.equals(ZERO_BLOCK.subarray(0, n))) throw new TarFormatError('the padding after its data is not zeros', entry);
}

/** the entry a PAX header (or none) and a ustar header describe, if canonical */
function entryOf(h: HeaderIn, pax: Pax | undefined): { path: string; size: number } {
  if (SPECIAL[h.type]) throw new TarFormatError(SPECIAL[h.type], h.name);
  const { path, size } = pax ? applyPax(h, pax) : { path: h.name, size: h.size };
  if (Buffer.byteLength(path) > LIMITS.pathBytes) throw new TarFormatError(`its path is longer than ${LIMITS.pathBytes} bytes`, path.slice(0, 200), 'path');
  if (h.mode > 0o7777) throw new TarFormatError('its mode field holds more than permission bits', path);
  if (h.type === '5' && size !== 0) throw new TarFormatError(`it is a folder with ${size} bytes of data`, path);
  if (h.type === '5' && !path.endsWith('/')) throw new TarFormatError('it is a folder whose name does not end with "/"', path, 'path');
  if (h.type !== '5' && path.endsWith('/')) throw new TarFormatError('it is not a folder but its name ends with "/" (some readers make it one)', path, 'path');
  if ((h.type === '0' || h.type === '5') && h.linkname) throw new TarFormatError('it has a link name but is no link', path);
  if (h.type !== '0' && h.type !== '5' && size !== 0) throw new TarFormatError(`it is a special entry (type ${JSON.stringify(h.type)}) with data`, path);
  return { path, size };
}

async function* entries(input: Input, label: string, drainTail: boolean): AsyncGenerator<TarEntry> {
  const ends = (what: string) => bundleRefusal.truncated(label, what);
  const budget = new Budget(label);
  let pax: Pax | undefined;
  for (;;) {
    const block = await input.take(BLOCK);
    if (!block) throw ends('it stops before the end-of-archive marker');
    budget.header(BLOCK);
    const h = decodeHeader(block);
    if (!h) {
      if (pax) throw new TarFormatError('a PAX header is followed by the end of the archive', 'PAX header');
      break;
    }
    if (h.type === 'x') {
      if (pax) throw new TarFormatError('it is a second PAX header in a row (readers disagree which one counts)', h.name);
      if (h.size > LIMITS.paxHeader) throw limitRefusal(label, `the PAX header ${JSON.stringify(h.name)} is ${h.size} bytes`, `${LIMITS.paxHeader} bytes`);
      if (h.linkname) throw new TarFormatError('it has a link name but is no link', h.name);
      budget.header(h.size);
      const body = await input.take(h.size);
      if (!body) throw ends('it stops inside an extended header');
      await zeroPadding(input, h.size, h.name, ends);
      pax = parsePax(body, h.name);
      continue;
    }
    const { path, size } = entryOf(h, pax);
    budget.entry(h.type);
    let left = size;
    pax = undefined;
    async function* body(): AsyncGenerator<Buffer> {
      while (left > 0) {
        const p = await input.piece(left);
        if (!p) throw ends(`${path} stops early`);
        left -= p.length;
        yield p;
      }
    }
    yield { path, type: h.type, mode: h.mode, size, linkpath: h.linkname, body };
    if (!(await input.skip(left))) throw ends(`${path} stops early`);
    await zeroPadding(input, size, path, ends);
  }
  if (!drainTail) return;
  await endMarker(input, label, ends);
}

/** the second zero block of the end marker, then at most a tar record of zeros, then the end of the stream */
async function endMarker(input: Input, label: string, ends: (w: string) => Error): Promise<void> {
  const second = await input.take(BLOCK);
  if (!second) throw ends('its end-of-archive marker is a single zero block');
  let blocks = 2;
  for (let b: Buffer | null = second; b; b = await input.take(BLOCK), blocks++) {
    if (!b.equals(ZERO_BLOCK)) throw bundleRefusal.corrupt(label, 'it has data after the end-of-archive marker');
    if (blocks > LIMITS.tailBlocks) throw bundleRefusal.corrupt(label, `it has more than ${LIMITS.tailBlocks} zero blocks after its last entry`);
  }
  const rest = await input.piece(BLOCK);
  if (rest) throw bundleRefusal.corrupt(label, 'it has data after the end-of-archive marker');
}
