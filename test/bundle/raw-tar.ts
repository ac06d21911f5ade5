/**
 * A tar writer for tests in which every byte is the test's: header fields are
 * written as given (or as the `patch` list overrides them), so a test can make
 * the odd forms other tar readers read differently. Shares no code with
 * src/bundle (the reader must not be checked against itself).
 */
import { gzipSync } from 'node:zlib';

export interface RawHeader {
  name: string;
  /** typeflag character; '0' by default */
  type?: string;
  mode?: number;
  size?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  linkname?: string;
  prefix?: string;
  uname?: string;
  /** 'ustar\0' + '00' by default */
  magic?: string;
  /** raw bytes put at an offset after the fields, before the checksum */
  patch?: [number, Buffer | string][];
  /** how the checksum is written: the right one (default), a wrong one, GNU's signed-byte sum, or a raw field */
  checksum?: 'ok' | 'bad' | 'signed' | string;
}

const oct = (n: number, len: number) => n.toString(8).padStart(len - 1, '0') + '\0';

export function header(h: RawHeader): Buffer {
  const b = Buffer.alloc(512);
  b.write(h.name, 0, 100, 'utf8');
  b.write(oct(h.mode ?? (h.type === '5' ? 0o755 : 0o644), 8), 100, 'latin1');
  b.write(oct(h.uid ?? 0, 8), 108, 'latin1');
  b.write(oct(h.gid ?? 0, 8), 116, 'latin1');
  b.write(oct(h.size ?? 0, 12), 124, 'latin1');
  b.write(oct(h.mtime ?? 1_700_000_000, 12), 136, 'latin1');
  b.write(h.type ?? '0', 156, 'latin1');
  if (h.linkname) b.write(h.linkname, 157, 100, 'utf8');
  b.write(h.magic ?? 'ustar\u000000', 257, 'latin1');
  if (h.uname) b.write(h.uname, 265, 32, 'utf8');
  if (h.prefix) b.write(h.prefix, 345, 155, 'utf8');
  for (const [off, bytes] of h.patch ?? []) (typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes).copy(b, off);
  const cs = h.checksum ?? 'ok';
  b.fill(0x20, 148, 156);
  if (cs.length === 8) b.write(cs, 148, 'latin1');
  else {
    let sum = 0;
    for (const x of b) sum += cs === 'signed' ? (x > 127 ? x - 256 : x) : x;
    b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
    if (cs === 'bad') b.write('0000001\0', 148, 'latin1');
  }
  return b;
}

export const pad = (n: number) => Buffer.alloc((512 - (n % 512)) % 512);

/** a header and its data (size taken from the data unless given) */
export const entry = (h: RawHeader, data = Buffer.alloc(0)): Buffer => Buffer.concat([header({ size: data.length, ...h }), data, pad(data.length)]);

/** one PAX record with its self-counting length */
export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

/** an extended header ('x' or 'g') holding these records exactly */
export const pax = (records: string, type = 'x', name = 'PaxHeader/x'): Buffer => entry({ name, type }, Buffer.from(records, 'utf8'));

export const END = Buffer.alloc(1024);
export const gz = (...parts: Buffer[]) => gzipSync(Buffer.concat(parts));
