/**
 * `uphop init`: a new product's project that builds and installs without an edit
 * (scaffold.ts), and `uphop init --hop FROM TO`: the next hop folder, copied from
 * the last one. Bad names, versions and non-empty targets are refused (exit 2)
 * before anything is written.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { usageError } from '../errors.js';
import { NAME } from '../spec/validate-components.js';
import { INIT_DBS, scaffoldFiles, type InitDb } from './scaffold.js';
import { exactVersion } from './versions.js';

export { addHop, type HopResult } from './hop.js';

export interface InitOptions {
  dir: string;
  product?: string;
  version?: string;
  db?: string;
}

export interface InitResult {
  dir: string;
  product: string;
  version: string;
  db: InitDb;
  files: string[];
  /** the commands that build and try it */
  next: string[];
}

async function refuseNonEmpty(dir: string): Promise<void> {
  const entries = await readdir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [] as string[];
    throw usageError('INIT_TARGET_INVALID', `${dir} cannot be used for a new project: ${e.code === 'ENOTDIR' ? 'it is a file' : e.message}.`, 'Name a new or empty folder.');
  });
  if (entries.length) {
    throw usageError(
      'INIT_NOT_EMPTY',
      `${dir} is not empty (it holds ${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', ...' : ''}), so uphop init writes nothing there.`,
      'Name a new or empty folder; to add a hop to an existing project run: uphop init --hop FROM TO',
    );
  }
}

export async function initProject(o: InitOptions): Promise<InitResult> {
  const product = o.product;
  if (!product) throw usageError('INIT_NO_PRODUCT', 'uphop init needs the product name.', 'Pass --product NAME, e.g. --product acme-manager.');
  if (!NAME.test(product)) throw usageError('INIT_BAD_NAME', `The product name "${product}" is not valid.`, 'Use lowercase letters, digits and "-", starting with a letter, e.g. acme-manager.');
  const version = exactVersion(o.version ?? '1.0.0', 'The version');
  const db = (o.db ?? 'sqlite') as InitDb;
  if (!INIT_DBS.includes(db)) throw usageError('INIT_BAD_DB', `--db "${o.db}" is not one of ${INIT_DBS.join(', ')}.`, 'Pass --db sqlite (the default), postgres or mysql.');
  const dir = path.resolve(o.dir);
  await refuseNonEmpty(dir);
  const files = scaffoldFiles({ product, version, db });
  for (const [rel, f] of Object.entries(files)) {
    const file = path.join(dir, rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, f.text, { mode: f.mode ?? 0o644, flag: 'wx' });
  }
  const sandbox = `/tmp/${product}-sandbox`;
  return {
    dir,
    product,
    version,
    db,
    files: Object.keys(files),
    next: [
      ...(path.resolve(dir) === path.resolve(process.cwd()) ? [] : [`cd ${dir}`]),
      'uphop build --all --out out',
      'cp templates/values.sample.yaml site.yaml',
      `uphop install out/${product}-none-to-${version}.tar.gz --root ${sandbox} --values site.yaml --allow-unsigned`,
    ],
  };
}
