// Builds dist/installer/: the installer that travels inside every bundle and runs
// with only `node` (one CommonJS file + better-sqlite3's native addon beside it).
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { bundleNodeProgram } from './lib/node-bundle.mjs';

const root = new URL('..', import.meta.url).pathname;
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const outDir = `${root}dist/installer`;
await rm(outDir, { recursive: true, force: true });
await bundleNodeProgram({
  entry: `${root}src/cli/installer-main.ts`,
  outFile: `${outDir}/uphop-installer.cjs`,
  define: { __UPHOP_VERSION__: version, __UPHOP_BUNDLED__: true },
  nativeSqlite: true,
  absWorkingDir: root,
});
