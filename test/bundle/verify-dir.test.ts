/**
 * `install DIR` (an extracted bundle folder): what a customer's tar left on disk
 * is checked before anything is read or copied. A FIFO would block a read or a
 * copy forever, a link could point anywhere: both are refused (exit 3), fast,
 * and nothing is kept under the root.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { extractBundle } from '../../src/bundle/extract.js';
import { verifyDirectory } from '../../src/bundle/verify-dir.js';
import { install } from '../../src/install/index.js';
import { buildBundle, cleanup, expectRefusal, tmpDir } from './fixtures.js';

afterEach(cleanup);

async function extracted() {
  const dir = await tmpDir();
  const b = await buildBundle(dir);
  const x = await extractBundle(b.path, path.join(dir, 'x'), { allowUnsigned: true });
  return { dir, folder: x.dir, root: path.join(dir, 'root') };
}

describe('an extracted bundle folder holds only plain files', () => {
  it('a FIFO as bundle.json is refused without reading it', async () => {
    const { folder } = await extracted();
    await rm(path.join(folder, 'bundle.json'));
    execFileSync('mkfifo', [path.join(folder, 'bundle.json')]);
    await expectRefusal(verifyDirectory(folder, { allowUnsigned: true }), 'BUNDLE_UNSAFE_PATH', 'bundle.json');
  });

  for (const [what, plant] of [
    [
      'a FIFO',
      (p: string) => {
        execFileSync('mkfifo', [p]);
      },
    ],
    ['a symbolic link', (p: string) => symlink('/etc/passwd', p)],
  ] as const) {
    it(`${what} among the files: install DIR refuses before copying anything`, async () => {
      const { folder, root } = await extracted();
      await mkdir(path.join(folder, 'extra'));
      await plant(path.join(folder, 'extra', 'planted'));
      await expectRefusal(install({ bundle: folder, root, allowUnsigned: true }), 'BUNDLE_UNSAFE_PATH', 'planted');
      expect(await readdir(path.join(root, 'var/lib/uphop/bundles')).catch(() => [])).toEqual([]);
    });
  }

  it('a folder larger than the free space is refused before anything is copied', async () => {
    const { folder, root } = await extracted();
    await writeFile(path.join(folder, 'huge.bin'), '');
    await truncate(path.join(folder, 'huge.bin'), 2 ** 40); // sparse: 1 TiB on paper, nothing on disk
    await expectRefusal(install({ bundle: folder, root, allowUnsigned: true }), 'BUNDLE_NO_SPACE', 'nothing was written');
    expect(await readdir(path.join(root, 'var/lib/uphop/bundles')).catch(() => [])).toEqual([]);
  });

  it('a bundle.json larger than the limit is refused before it is read', async () => {
    const { folder } = await extracted();
    await writeFile(path.join(folder, 'bundle.json'), Buffer.alloc(5 * 1024 * 1024, 0x20));
    await expectRefusal(verifyDirectory(folder, { allowUnsigned: true }), 'BUNDLE_LIMIT', 'bundle.json');
  });
});
