/**
 * Verifies while unpacking into a hidden temp folder inside destDir, and
 * renames it to destDir/<top> only when every check passed: a bad bundle never
 * leaves a half-written folder behind. Only plain files and folders are ever
 * created, so no path can be redirected through a link.
 */
import { chmod, lstat, mkdir, mkdtemp, open, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { failure, isUphopError, messageOf, usageError } from '../errors.js';
import { MANIFEST_NAME, SIGNATURE_NAME } from './manifest.js';
import { manifestBytesTotal, requireSpace } from './space.js';
import { scanBundle, type EntrySink, type VerifiedBundle, type VerifyOptions } from './scan.js';

export interface ExtractedBundle extends VerifiedBundle {
  /** destDir/<topDir> */
  dir: string;
}

const exists = (p: string) =>
  lstat(p).then(
    () => true,
    () => false,
  );

function destExists(dest: string) {
  return usageError('BUNDLE_DEST_EXISTS', `${dest} already exists.`, 'Remove it, or extract into another folder.');
}

export async function extractBundle(bundlePath: string, destDir: string, opts: VerifyOptions = {}): Promise<ExtractedBundle> {
  try {
    await mkdir(destDir, { recursive: true });
  } catch (e) {
    throw failure('EXTRACT_FAILED', `Cannot create ${destDir}: ${messageOf(e)}.`, 'Check the folder and its permissions.', e);
  }
  let tmp = '';
  const sink: EntrySink = {
    async onHead(head) {
      if (await exists(join(destDir, head.topDir))) throw destExists(join(destDir, head.topDir));
      // the manifest's sizes are known (and signed) now: nothing is written unless they fit
      await requireSpace(bundlePath, destDir, manifestBytesTotal(head.manifest, head.manifestBytes.length));
      tmp = await mkdtemp(join(destDir, '.uphop-extract-'));
      // the installer reads them from the unpacked folder; the signature lets it be checked again there
      await writeFile(join(tmp, MANIFEST_NAME), head.manifestBytes, { mode: 0o644, flag: 'wx' });
      if (head.signature) await writeFile(join(tmp, SIGNATURE_NAME), head.signature, { mode: 0o644, flag: 'wx' });
    },
    async dir(rel) {
      await mkdir(join(tmp, rel), { recursive: true, mode: 0o755 });
    },
    async file(rel, mode) {
      const target = join(tmp, rel);
      await mkdir(dirname(target), { recursive: true, mode: 0o755 });
      const fh = await open(target, 'wx', mode);
      return {
        async write(chunk) {
          for (let off = 0; off < chunk.length; ) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
        },
        async end() {
          try {
            await fh.chmod(mode);
          } finally {
            await fh.close();
          } // exact mode, whatever the umask
        },
      };
    },
  };
  try {
    const verified = await scanBundle(bundlePath, opts, 'extract', sink);
    const dir = join(destDir, verified.topDir);
    await chmod(tmp, 0o755); // mkdtemp made it 0700; it becomes the bundle's top folder
    // rename would silently replace an empty folder: look first (nothing else writes here)
    if (await exists(dir)) throw destExists(dir);
    await rename(tmp, dir);
    return { ...verified, dir };
  } catch (e) {
    if (tmp) await rm(tmp, { recursive: true, force: true });
    if (isUphopError(e)) throw e;
    throw failure('EXTRACT_FAILED', `Cannot extract ${bundlePath} into ${destDir}: ${messageOf(e)}.`, 'Check free disk space and permissions of the destination folder.', e);
  }
}
