/**
 * Pull-based tar reader over decompressed chunks: one entry at a time, its body
 * streamed (never buffered whole), skipped if the consumer does not read it.
 * Understands ustar, PAX (x/g) and GNU long names (L/K); every other entry type
 * is passed through for the caller to refuse.
 */
import { bundleRefusal } from './refusals.js';
import { BLOCK, decodeHeader, padding, parsePax, TarFormatError, type HeaderIn, ZERO_BLOCK } from './tar-header.js';

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

/** PAX and long-name headers are small; a huge one is an attack on memory */
const META_MAX = 1024 * 1024;

class Input {
  private buf: Buffer = Buffer.alloc(0);
  private readonly it: AsyncIterator<Buffer>;
  constructor(src: AsyncIterable<Buffer>) { this.it = src[Symbol.asyncIterator](); }

  /** exactly n bytes, or null when the input ends first */
  async take(n: number): Promise<Buffer | null> {
    while (this.buf.length < n) {
      const r = await this.it.next();
      if (r.done) return null;
      this.buf = this.buf.length ? Buffer.concat([this.buf, r.value]) : r.value;
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** up to max bytes without copying, or null at the end of the input */
  async piece(max: number): Promise<Buffer | null> {
    if (this.buf.length === 0) {
      const r = await this.it.next();
      if (r.done) return null;
      this.buf = r.value;
    }
    const out = this.buf.subarray(0, max);
    this.buf = this.buf.subarray(out.length);
    return out;
  }

  async skip(n: number): Promise<boolean> {
    for (let left = n; left > 0;) {
      const p = await this.piece(left);
      if (!p) return false;
      left -= p.length;
    }
    return true;
  }

  async close(): Promise<void> {
    await this.it.return?.();
  }
}

function decode(block: Buffer, label: string): HeaderIn | null {
  try {
    return decodeHeader(block);
  } catch (e) {
    if (e instanceof TarFormatError) throw bundleRefusal.corrupt(label, `its tar data is damaged (${e.message})`);
    throw e;
  }
}

const cstring = (b: Buffer) => b.toString('utf8', 0, b.indexOf(0) < 0 ? b.length : b.indexOf(0));

/** drainTail: after the end marker, read the rest so gzip checks its trailer; it must be zeros */
export async function* tarEntries(src: AsyncIterable<Buffer>, label: string, drainTail: boolean): AsyncGenerator<TarEntry> {
  const input = new Input(src);
  try {
    yield* entries(input, label, drainTail);
  } finally {
    await input.close(); // also when the consumer stops early or a refusal is thrown
  }
}

async function* entries(input: Input, label: string, drainTail: boolean): AsyncGenerator<TarEntry> {
  const ends = (what: string) => bundleRefusal.truncated(label, what);
  let meta: { path?: string; linkpath?: string; size?: string } = {};
  for (;;) {
    const block = await input.take(BLOCK);
    if (!block) throw ends('it stops before the end-of-archive marker');
    const h = decode(block, label);
    if (!h) break;
    if ('xgLK'.includes(h.type)) {
      if (h.size > META_MAX) throw bundleRefusal.corrupt(label, `it has a ${h.size}-byte extended header`);
      const body = await input.take(h.size);
      if (!body || !(await input.skip(padding(h.size)))) throw ends('it stops inside an extended header');
      try {
        if (h.type === 'x') meta = { ...meta, ...parsePax(body) };
        else if (h.type === 'L') meta.path = cstring(body);
        else if (h.type === 'K') meta.linkpath = cstring(body);
      } catch (e) {
        throw e instanceof TarFormatError ? bundleRefusal.corrupt(label, e.message) : e;
      }
      continue;
    }
    const size = meta.size === undefined ? h.size : Number(meta.size);
    if (!Number.isSafeInteger(size) || size < 0) throw bundleRefusal.corrupt(label, `${h.name} has a bad size`);
    const path = meta.path ?? h.name;
    const linkpath = meta.linkpath ?? h.linkname;
    let left = size;
    meta = {};
    async function* body(): AsyncGenerator<Buffer> {
      while (left > 0) {
        const p = await input.piece(left);
        if (!p) throw ends(`${path} stops early`);
        left -= p.length;
        yield p;
      }
    }
    yield { path, type: h.type, mode: h.mode, size, linkpath, body };
    if (!(await input.skip(left)) || !(await input.skip(padding(size)))) throw ends(`${path} stops early`);
  }
  if (!drainTail) return;
  for (let p = await input.piece(BLOCK); p; p = await input.piece(BLOCK))
    if (!p.equals(ZERO_BLOCK.subarray(0, p.length))) throw bundleRefusal.corrupt(label, 'it has data after the end-of-archive marker');
}
