/**
 * The 512-byte tar header (POSIX ustar) and PAX records: written by the bundle
 * writer, read by the bundle reader. Written by hand so every byte is under our
 * control (reproducibility) and every field we read is checked (safety).
 */
export const BLOCK = 512;
export const ZERO_BLOCK = Buffer.alloc(BLOCK);
const MAX_OCTAL_SIZE = 0o77777777777; // 11 octal digits: 8 GiB - 1

export type EntryKind = 'file' | 'dir';

export interface HeaderOut {
  /** posix path; directories end with '/' */
  path: string;
  kind: EntryKind;
  mode: number;
  size: number;
  /** seconds since the epoch */
  mtime: number;
}

export const padding = (size: number): number => (BLOCK - (size % BLOCK)) % BLOCK;

function octal(buf: Buffer, off: number, len: number, n: number): void {
  buf.write(n.toString(8).padStart(len - 1, '0') + '\0', off, len, 'ascii');
}

function block(name: string, type: string, mode: number, size: number, mtime: number): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(name, 0, 100, 'utf8'); // writes whole characters only; long names travel in PAX
  octal(b, 100, 8, mode);
  octal(b, 108, 8, 0); // uid
  octal(b, 116, 8, 0); // gid
  octal(b, 124, 12, size > MAX_OCTAL_SIZE ? 0 : size);
  octal(b, 136, 12, mtime);
  b.write(type, 156, 1, 'ascii');
  b.write('ustar\u000000', 257, 8, 'ascii');
  b.fill(0x20, 148, 156); // the checksum is computed with its own field as spaces
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return b;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyLen = Buffer.byteLength(body);
  let len = bodyLen + 1; // the length counts its own digits: iterate to the fixed point
  while (String(len).length + bodyLen !== len) len = String(len).length + bodyLen;
  return `${len}${body}`;
}

/** the header block(s) of one entry: a PAX header first when the path or size does not fit ustar */
export function encodeHeader(h: HeaderOut): Buffer {
  const type = h.kind === 'dir' ? '5' : '0';
  const main = block(h.path, type, h.mode, h.kind === 'dir' ? 0 : h.size, h.mtime);
  let records = '';
  if (Buffer.byteLength(h.path) > 100) records += paxRecord('path', h.path);
  if (h.size > MAX_OCTAL_SIZE) records += paxRecord('size', String(h.size));
  if (!records) return main;
  const body = Buffer.from(records, 'utf8');
  const base = h.path.replace(/\/$/, '').split('/').pop() ?? '';
  const paxName = `PaxHeader/${Buffer.from(base).subarray(0, 80).toString('utf8').replace(/\uFFFD+$/, '')}`;
  return Buffer.concat([block(paxName, 'x', 0o644, body.length, h.mtime), body, Buffer.alloc(padding(body.length)), main]);
}

export interface HeaderIn {
  name: string;
  /** the typeflag: '0' file, '5' dir, '2' symlink, 'x' PAX, ... ('\0' is reported as '0') */
  type: string;
  mode: number;
  size: number;
  linkname: string;
}

export class TarFormatError extends Error {}

function str(b: Buffer, off: number, len: number): string {
  const field = b.subarray(off, off + len);
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? len : end).toString('utf8');
}

function num(b: Buffer, off: number, len: number, field: string): number {
  if (b[off] & 0x80) { // GNU base-256 for large values (negative values make no sense here)
    if (b[off] === 0xff) throw new TarFormatError(`negative ${field}`);
    let n = b[off] & 0x7f;
    for (let i = off + 1; i < off + len; i++) n = n * 256 + b[i];
    return n;
  }
  const s = b.toString('ascii', off, off + len).replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new TarFormatError(`bad ${field} field`);
  return parseInt(s, 8);
}

/** null for an all-zero block (end of archive); throws TarFormatError when it is no tar header */
export function decodeHeader(b: Buffer): HeaderIn | null {
  if (b.equals(ZERO_BLOCK)) return null;
  const magic = b.toString('ascii', 257, 263);
  if (magic !== 'ustar\0' && magic !== 'ustar ') throw new TarFormatError('not a tar header (no ustar magic)');
  const stored = num(b, 148, 8, 'checksum');
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : b[i];
  if (stored !== sum) throw new TarFormatError('header checksum mismatch');
  const prefix = magic === 'ustar\0' ? str(b, 345, 155) : ''; // GNU headers use those bytes for times
  const name = str(b, 0, 100);
  const type = b[156] === 0 ? '0' : String.fromCharCode(b[156]);
  return {
    name: prefix ? `${prefix}/${name}` : name,
    type,
    mode: num(b, 100, 8, 'mode'),
    size: num(b, 124, 12, 'size'),
    linkname: str(b, 157, 100),
  };
}

/** PAX extended header records ("<len> <key>=<value>\n"...) */
export function parsePax(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < body.length) {
    const sp = body.indexOf(0x20, pos);
    const len = sp < 0 ? NaN : Number(body.toString('ascii', pos, sp));
    if (!Number.isSafeInteger(len) || len <= 0 || pos + len > body.length || body[pos + len - 1] !== 0x0a)
      throw new TarFormatError('bad PAX record');
    const rec = body.toString('utf8', sp + 1, pos + len - 1);
    const eq = rec.indexOf('=');
    if (eq < 0) throw new TarFormatError('bad PAX record');
    out[rec.slice(0, eq)] = rec.slice(eq + 1);
    pos += len;
  }
  return out;
}
