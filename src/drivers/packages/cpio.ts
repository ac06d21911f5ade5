/**
 * Streaming extraction of a "newc" cpio archive (what rpm2cpio writes), with the same
 * refusals as tar extraction (see safe-extract.ts). Owners are not kept and set-id bits
 * are dropped: the release folder belongs to whoever runs the installer.
 */
import { createWriteStream, promises as fs } from 'node:fs';
import { finished } from 'node:stream/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { failure, isUphopError } from '../../errors.js';
import { ByteReader } from './byte-reader.js';
import { unsafeReason } from './safe-extract.js';

const HEADER = 110;
const pad4 = (n: number) => (4 - (n % 4)) % 4;
const TYPES: Record<number, string> = { 0o100000: 'File', 0o040000: 'Directory', 0o120000: 'SymbolicLink', 0o020000: 'CharacterDevice', 0o060000: 'BlockDevice', 0o010000: 'FIFO', 0o140000: 'Socket' };

interface CpioEntry {
  path: string;
  type: string;
  mode: number;
  ino: number;
  nlink: number;
  size: number;
}

function parseHeader(h: Buffer, label: string): Omit<CpioEntry, 'path'> & { nameSize: number } {
  const magic = h.toString('latin1', 0, 6);
  if (magic !== '070701' && magic !== '070702')
    throw failure('PACKAGE_UNPACK_FAILED', `Cannot unpack ${label}: not a newc cpio archive (magic ${JSON.stringify(magic)}).`, 'Check that the package is a valid rpm.');
  const field = (i: number) => parseInt(h.toString('latin1', 6 + i * 8, 14 + i * 8), 16);
  const mode = field(1);
  return { ino: field(0), mode, nlink: field(4), size: field(6), nameSize: field(11), type: TYPES[mode & 0o170000] ?? 'Unsupported' };
}

export async function extractCpioSafely(source: Readable, dest: string, label: string): Promise<void> {
  const r = new ByteReader(source);
  const symlinks = new Set<string>();
  // newc stores a hard-linked file's data once, with its last name: earlier names wait for it
  const waitingLinks = new Map<number, string[]>();
  try {
    for (;;) {
      const h = parseHeader(await r.read(HEADER), label);
      const name = (await r.read(h.nameSize)).toString('utf8').replace(/\0+$/, '');
      await r.read(pad4(HEADER + h.nameSize));
      if (name === 'TRAILER!!!') break;
      const target = h.type === 'SymbolicLink' ? (await r.read(h.size)).toString('utf8') : undefined;
      const why = unsafeReason({ path: name, type: h.type as never, linkpath: target }, symlinks) ?? (h.type === 'Socket' || h.type === 'Unsupported' ? `a ${h.type} entry` : null);
      if (why) throw failure('PACKAGE_UNSAFE_ENTRY', `The package ${label} holds ${why}: "${name}"; nothing of it was installed.`, 'Rebuild the package with relative paths inside its tree.');
      const out = path.join(dest, name);
      if (out !== dest) await fs.mkdir(path.dirname(out), { recursive: true });
      if (h.type === 'Directory') {
        if (out !== dest) await fs.mkdir(out, { recursive: true, mode: h.mode & 0o777 });
        await r.copy(h.size, null);
      } else if (h.type === 'SymbolicLink') {
        await fs.rm(out, { force: true });
        await fs.symlink(target!, out);
      } else {
        await fs.rm(out, { force: true });
        if (h.size === 0 && h.nlink > 1) {
          waitingLinks.set(h.ino, [...(waitingLinks.get(h.ino) ?? []), out]);
        } else {
          const ws = createWriteStream(out, { flags: 'wx', mode: h.mode & 0o777 });
          await r.copy(h.size, ws);
          ws.end();
          await finished(ws);
          for (const other of waitingLinks.get(h.ino) ?? []) await fs.link(out, other);
          waitingLinks.delete(h.ino);
        }
      }
      await r.read(pad4(h.size));
    }
    // an empty hard-linked file never gets a data-bearing entry
    for (const names of waitingLinks.values()) for (const n of names) await fs.writeFile(n, '', { flag: 'wx' });
  } catch (e) {
    source.destroy();
    if (isUphopError(e)) throw e;
    throw failure('PACKAGE_UNPACK_FAILED', `Cannot unpack ${label}: ${e instanceof Error ? e.message : String(e)}.`, 'Check that the package is a complete, valid rpm.', e);
  }
  source.destroy(); // the tail after the trailer is padding
}
