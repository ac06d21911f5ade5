/**
 * The 512-byte tar header (POSIX ustar) and PAX records as the bundle writer
 * writes them. Written by hand so every byte is under our control
 * (reproducibility); tar-decode.ts reads back exactly this form and nothing
 * else, so every tar reader agrees on what a bundle holds (safety).
 */
export const BLOCK = 512;
export const ZERO_BLOCK = Buffer.alloc(BLOCK);
export const MAX_OCTAL_SIZE = 0o77777777777; // 11 octal digits: 8 GiB - 1

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

/** the ustar name field for a path: its longest prefix of whole characters within 100 bytes (the reader checks PAX paths against it) */
export function ustarName(path: string): string {
  const b = Buffer.alloc(100);
  return b.toString('utf8', 0, b.write(path, 0, 100, 'utf8'));
}

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

export function paxRecord(key: string, value: string): string {
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
  const paxName = `PaxHeader/${Buffer.from(base)
    .subarray(0, 80)
    .toString('utf8')
    .replace(/\uFFFD+$/, '')}`;
  return Buffer.concat([block(paxName, 'x', 0o644, body.length, h.mtime), body, Buffer.alloc(padding(body.length)), main]);
}
