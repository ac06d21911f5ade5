/**
 * Reads one tar header block, accepting only the canonical form the bundle
 * writer produces (tar-header.ts): POSIX ustar magic, plain octal numbers with
 * a space/NUL terminator, uid and gid 0, no owner names, device numbers, prefix
 * or link name on a file. Anything else is a form some tar reader interprets
 * differently (GNU base-256 numbers, old GNU headers, a prefix some readers
 * ignore), so it is refused instead of guessed at.
 */
import { BLOCK, ZERO_BLOCK } from './tar-header.js';

export interface HeaderIn {
  /** the name field, as UTF-8 */
  name: string;
  /** the typeflag character ('0' file, '5' folder, 'x' PAX, ...); a NUL typeflag is reported as '\0' */
  type: string;
  mode: number;
  size: number;
  linkname: string;
}

/** path: the rule is about the entry's name; corrupt: the block is no tar header at all */
export type FormatKind = 'ambiguous' | 'path' | 'corrupt';

/** why a header is not canonical, naming the entry */
export class TarFormatError extends Error {
  constructor(
    message: string,
    readonly entry?: string,
    readonly kind: FormatKind = 'ambiguous',
  ) {
    super(message);
  }
}

const allZero = (b: Buffer, from: number, to: number) => b.subarray(from, to).every((x) => x === 0);

/** the name for messages, whatever the header holds */
export const looseName = (b: Buffer): string => b.toString('utf8', 0, 100).replace(/\0.*$/s, '');

/** a NUL-terminated text field: valid UTF-8, and nothing but NULs after its end */
function text(b: Buffer, off: number, len: number, field: string, entry: string): string {
  const raw = b.subarray(off, off + len);
  const end = raw.indexOf(0) < 0 ? len : raw.indexOf(0);
  if (!allZero(raw, end, len)) throw new TarFormatError(`its ${field} field has bytes after its terminating NUL`, entry, field === 'name' ? 'path' : 'ambiguous');
  const s = raw.toString('utf8', 0, end);
  if (!Buffer.from(s, 'utf8').equals(raw.subarray(0, end))) throw new TarFormatError(`its ${field} is not valid UTF-8`, entry, field === 'name' ? 'path' : 'ambiguous');
  return s;
}

/** a plain octal number: digits from the first byte, then only spaces and NULs (at least one) */
function octal(b: Buffer, off: number, len: number, field: string, entry: string): number {
  if (b[off] & 0x80) throw new TarFormatError(`its ${field} field is a GNU base-256 number`, entry);
  const s = b.toString('latin1', off, off + len);
  const m = /^([0-7]+)([ \0]+)$/.exec(s);
  if (!m) throw new TarFormatError(`its ${field} field ${JSON.stringify(s)} is not a plain octal number`, entry);
  return parseInt(m[1], 8);
}

/** null for an all-zero block (end of archive); throws TarFormatError when the block is not a canonical header */
export function decodeHeader(b: Buffer): HeaderIn | null {
  if (b.equals(ZERO_BLOCK)) return null;
  const entry = looseName(b);
  if (b.toString('latin1', 257, 265) !== 'ustar\u000000')
    throw new TarFormatError(
      b.toString('latin1', 257, 263) === 'ustar ' ? 'it is an old GNU tar header, not POSIX ustar' : 'not a tar header (no ustar magic)',
      entry,
      b.toString('latin1', 257, 263) === 'ustar ' ? 'ambiguous' : 'corrupt',
    );
  const stored = octal(b, 148, 8, 'checksum', entry);
  let sum = 8 * 0x20; // the checksum is computed with its own field as spaces, bytes unsigned
  for (let i = 0; i < BLOCK; i++) if (i < 148 || i >= 156) sum += b[i];
  if (stored !== sum) throw new TarFormatError('header checksum mismatch', entry, 'corrupt');
  const name = text(b, 0, 100, 'name', entry);
  if (!allZero(b, 345, 500))
    throw new TarFormatError('it uses the ustar prefix field, which some readers join to the name and others ignore', `${b.toString('utf8', 345, 500).replace(/\0.*$/s, '')}/${name}`, 'path');
  if (!allZero(b, 265, 329)) throw new TarFormatError('it names an owner or group', entry);
  for (const [off, field] of [
    [329, 'device major'],
    [337, 'device minor'],
  ] as const)
    if (!allZero(b, off, off + 8) && octal(b, off, 8, field, entry) !== 0) throw new TarFormatError(`it has a ${field} number`, entry);
  if (!allZero(b, 500, BLOCK)) throw new TarFormatError('it has data in the unused end of its header', entry);
  if (octal(b, 108, 8, 'uid', entry) !== 0 || octal(b, 116, 8, 'gid', entry) !== 0) throw new TarFormatError('it has an owner other than uid 0 and gid 0', entry);
  octal(b, 136, 12, 'mtime', entry);
  return {
    name,
    type: String.fromCharCode(b[156]),
    mode: octal(b, 100, 8, 'mode', entry),
    size: octal(b, 124, 12, 'size', entry),
    linkname: text(b, 157, 100, 'link name', entry),
  };
}
