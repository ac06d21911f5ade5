/**
 * A component whose `package:` is a folder: uphop packs it into the bundle as a
 * tarball at build time, so a product needs no packaging tool of its own. The
 * archive is reproducible (entries sorted by name, every mtime the build epoch,
 * uid/gid 0, modes 0755/0644 by the file's executable bit, so a umask does not
 * change the bytes) and holds only files and folders: a symlink or device in the
 * folder is refused, since it would point somewhere the manager does not have.
 */
import { createReadStream } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { usageError } from '../errors.js';
import { encodeHeader, padding, ZERO_BLOCK } from '../bundle/tar-header.js';
import type { HopSpec } from '../spec/types.js';

/** packed folders are held in memory: beyond this, the hint says to pack it yourself */
export const MAX_FOLDER_BYTES = 512 * 1024 * 1024;

interface Entry {
  rel: string;
  abs: string;
  dir: boolean;
  mode: number;
  size: number;
}

async function walk(root: string, rel: string, out: Entry[], budget: { left: number }, spec: string): Promise<void> {
  const names = (await readdir(path.join(root, rel))).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  for (const name of names) {
    const r = rel ? `${rel}/${name}` : name;
    const abs = path.join(root, r);
    const info = await lstat(abs);
    if (info.isDirectory()) {
      out.push({ rel: `${r}/`, abs, dir: true, mode: 0o755, size: 0 });
      await walk(root, r, out, budget, spec);
    } else if (info.isFile()) {
      budget.left -= info.size;
      if (budget.left < 0)
        throw usageError(
          'PACKAGE_FOLDER_TOO_BIG',
          `The component folder ${root} holds more than ${MAX_FOLDER_BYTES >> 20} MiB, more than uphop packs in memory (${spec}).`,
          'Pack it yourself into a .tgz in the artifacts folder and point package: at that file.',
        );
      out.push({ rel: r, abs, dir: false, mode: info.mode & 0o111 ? 0o755 : 0o644, size: info.size });
    } else {
      throw usageError(
        'PACKAGE_FOLDER_LINK',
        `The component folder ${root} holds ${r}, which is ${info.isSymbolicLink() ? 'a symlink' : 'not a file or folder'} (${spec}).`,
        'A packed folder holds only files and folders: replace the link with the file itself, or pack the component yourself.',
      );
    }
  }
}

async function read(file: string, size: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of createReadStream(file)) chunks.push(c as Buffer);
  const data = Buffer.concat(chunks);
  if (data.length !== size) throw usageError('PACKAGE_FOLDER_CHANGED', `${file} changed while the build packed it.`, 'Run the build again once nothing writes to the component folder.');
  return data;
}

/** the gzip'd tar of a folder, the same bytes for the same files and epoch */
export async function packFolder(dir: string, mtime: Date, spec = 'the spec'): Promise<Buffer> {
  const entries: Entry[] = [];
  await walk(dir, '', entries, { left: MAX_FOLDER_BYTES }, spec);
  const secs = Math.floor(mtime.getTime() / 1000);
  const parts: Buffer[] = [];
  for (const e of entries) {
    parts.push(encodeHeader({ path: e.rel, kind: e.dir ? 'dir' : 'file', mode: e.mode, size: e.size, mtime: secs }));
    if (e.dir) continue;
    parts.push(await read(e.abs, e.size), Buffer.alloc(padding(e.size)));
  }
  parts.push(ZERO_BLOCK, ZERO_BLOCK);
  return gzipSync(Buffer.concat(parts), { level: 9 });
}

/** component name -> its packed folder, for every component of the spec whose package is a folder */
export async function packFolders(spec: HopSpec, mtime: Date): Promise<Map<string, Buffer>> {
  const packed = new Map<string, Buffer>();
  for (const c of spec.components) if (c.folder) packed.set(c.name, await packFolder(c.package, mtime, spec.file));
  return packed;
}
