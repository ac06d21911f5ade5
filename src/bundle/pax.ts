/**
 * A PAX extended header as the bundle writer writes it: only `path` (when the
 * path does not fit the 100-byte ustar name) and `size` (beyond 8 GiB), each at
 * most once, in canonical records. Every other key (mtime, uid, GNU.sparse.*,
 * charset, ...) changes how some reader extracts an entry, so it is refused.
 */
import { LIMITS } from './limits.js';
import { MAX_OCTAL_SIZE, ustarName } from './tar-header.js';
import { TarFormatError, type HeaderIn } from './tar-decode.js';

export interface Pax {
  path?: string;
  size?: string;
}

/** parses "<len> <key>=<value>\n" records; entry names the header in messages */
export function parsePax(body: Buffer, entry: string): Pax {
  const out: Pax = {};
  let pos = 0;
  let records = 0;
  while (pos < body.length) {
    const sp = body.indexOf(0x20, pos);
    const digits = sp < 0 ? '' : body.toString('latin1', pos, sp);
    const len = /^[1-9][0-9]{0,5}$/.test(digits) ? Number(digits) : NaN;
    if (!(len > 0) || pos + len > body.length || body[pos + len - 1] !== 0x0a) throw new TarFormatError('its PAX header has a malformed record', entry);
    if (++records > LIMITS.paxKeys) throw new TarFormatError(`its PAX header has more than ${LIMITS.paxKeys} records`, entry);
    const raw = body.subarray(sp + 1, pos + len - 1);
    const rec = raw.toString('utf8');
    if (!Buffer.from(rec, 'utf8').equals(raw)) throw new TarFormatError('its PAX header is not valid UTF-8', entry);
    const eq = rec.indexOf('=');
    const key = eq < 0 ? '' : rec.slice(0, eq);
    if (key.startsWith('GNU.sparse.')) throw new TarFormatError(`it is a GNU sparse file (PAX key ${key})`, entry);
    if (key !== 'path' && key !== 'size') throw new TarFormatError(`its PAX header has the key ${JSON.stringify(key)}, which uphop bundles never use`, entry);
    if (out[key] !== undefined) throw new TarFormatError(`its PAX header sets ${key} twice`, entry);
    out[key] = rec.slice(eq + 1);
    pos += len;
  }
  if (records === 0) throw new TarFormatError('its PAX header is empty', entry);
  return out;
}

/** applies a PAX header to the ustar header it precedes, if it is exactly what the writer would have written */
export function applyPax(h: HeaderIn, pax: Pax): { path: string; size: number } {
  let path = h.name;
  let size = h.size;
  if (pax.path !== undefined) {
    const p = pax.path;
    if (p === '' || p.includes('\0')) throw new TarFormatError('its PAX path is empty or holds a NUL byte', p || h.name, 'path');
    if (Buffer.byteLength(p) <= 100) throw new TarFormatError('its PAX path would fit the ustar name, where uphop puts it', p, 'path');
    if (ustarName(p) !== h.name) throw new TarFormatError(`its PAX path differs from its ustar name ${JSON.stringify(h.name)} (readers that ignore PAX would see another file)`, p, 'path');
    path = p;
  }
  if (pax.size !== undefined) {
    const n = /^[1-9][0-9]{0,15}$/.test(pax.size) ? Number(pax.size) : NaN;
    if (!Number.isSafeInteger(n) || n <= MAX_OCTAL_SIZE) throw new TarFormatError(`its PAX size ${JSON.stringify(pax.size)} is not a canonical size beyond 8 GiB`, path);
    if (h.size !== 0) throw new TarFormatError('it has both a PAX size and a ustar size', path);
    size = n;
  }
  return { path, size };
}
