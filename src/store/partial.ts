/**
 * The sidecar of an unfinished download, <file>.partial.json beside <file>.partial.
 * It names exactly which object version the partial bytes came from (sha256 from
 * the catalog + the store's ETag + size + part layout): a resume against anything
 * else starts over instead of splicing two different files together.
 */
import { readFile, rename, rm, writeFile } from 'node:fs/promises';

export interface PartialState {
  key: string;
  sha256: string;
  etag: string;
  size: number;
  partSize: number;
  /** bytes written from the start of each part */
  done: number[];
}

export const partialPaths = (dest: string) => ({ data: `${dest}.partial`, sidecar: `${dest}.partial.json` });

export async function loadPartial(dest: string): Promise<PartialState | undefined> {
  try {
    const s = JSON.parse(await readFile(partialPaths(dest).sidecar, 'utf8')) as PartialState;
    return Array.isArray(s.done) ? s : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Rewritten whole and renamed into place, without fsync: an fsync here would also
 * flush the big partial file on ext4 and halve download speed. After a power loss
 * the sidecar may claim bytes the disk lost; the sha256 check at the end catches
 * that (the partial is dropped and the next run starts over), so a bad file is
 * never accepted, only re-downloaded.
 */
export async function savePartial(dest: string, s: PartialState): Promise<void> {
  const { sidecar } = partialPaths(dest);
  await writeFile(`${sidecar}.tmp`, JSON.stringify(s) + '\n');
  await rename(`${sidecar}.tmp`, sidecar);
}

export async function dropPartial(dest: string): Promise<void> {
  const p = partialPaths(dest);
  await rm(p.data, { force: true });
  await rm(p.sidecar, { force: true });
  await rm(`${p.sidecar}.tmp`, { force: true });
}

/** whether saved progress may be reused for this object version and layout */
export const sameObject = (s: PartialState | undefined, want: Omit<PartialState, 'done'>): s is PartialState =>
  !!s && s.key === want.key && s.sha256 === want.sha256 && s.etag === want.etag && s.size === want.size && s.partSize === want.partSize && s.done.length === Math.ceil(want.size / want.partSize);
