/**
 * Bundles a Node program into ONE CommonJS file that runs with only `node`
 * (no node_modules beside it, no npm, no network). Shared by the product packer
 * and the installer build.
 *
 *   await bundleNodeProgram({
 *     entry: 'product/rest/server.mjs',     // ESM or CJS source, may import npm packages
 *     outFile: 'out/rest/server.js',        // written as CommonJS (format cjs, target node20)
 *     define: { BEACON_VERSION: '4.1.1' },  // global identifiers replaced at build time; values are JSON-encoded here
 *     nativeSqlite: true,                   // copy better_sqlite3.node beside outFile
 *   });
 *
 * Why these choices:
 * - knex statically requires every dialect; the drivers we never use (oracledb,
 *   tedious, sqlite3, pg-native, ...) are left external and are never loaded at run time.
 * - better-sqlite3 is a native addon and cannot be bundled: its `.node` file travels
 *   beside the bundle and the program passes its path to knex as
 *   `connection.options.nativeBinding` (see `nativeSqliteBinding()` below).
 * - the output is CommonJS so `__dirname` works; `import.meta.url` (and `.dirname`,
 *   `.filename`) in ESM sources is rewritten to the bundle's own file, so code can locate
 *   files beside itself both when run from source and when bundled. Top-level await is
 *   not possible in the entry's module graph (CommonJS output).
 */
import { build } from 'esbuild';
import { copyFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** knex dialect drivers (and optional deps of the bundled ones) we never ship */
export const UNUSED_DRIVERS = ['oracledb', 'tedious', 'sqlite3', 'pg-native', 'pg-query-stream', 'mysql', 'mssql', 'mariadb', 'mariadb/callback', 'pg-cloudflare', 'cloudflare:sockets'];

/** file name of the native addon beside a bundle built with nativeSqlite */
export const NATIVE_SQLITE_FILE = 'better_sqlite3.node';

const require = createRequire(import.meta.url);

/** absolute path of better-sqlite3's compiled addon in this project's node_modules */
export function betterSqliteAddonPath() {
  const pkgDir = path.dirname(require.resolve('better-sqlite3/package.json'));
  const file = path.join(pkgDir, 'build', 'Release', NATIVE_SQLITE_FILE);
  if (!existsSync(file)) throw new Error(`better-sqlite3 is not built: ${file} is missing; run npm rebuild better-sqlite3`);
  return file;
}

/**
 * @param {object} opts
 * @param {string} opts.entry        source entry point
 * @param {string} opts.outFile      bundle to write (its folder is created)
 * @param {Record<string, unknown>} [opts.define]  identifier -> value (JSON-encoded for esbuild)
 * @param {boolean} [opts.nativeSqlite]  copy better_sqlite3.node beside outFile
 * @param {string[]} [opts.external]  more packages to leave out
 * @param {string} [opts.absWorkingDir] folder paths in the bundle's comments are relative to (keeps output reproducible across checkouts)
 * @returns {Promise<{ outFile: string, nativeFile?: string }>}
 */
export async function bundleNodeProgram({ entry, outFile, define = {}, nativeSqlite = false, external = [], absWorkingDir = process.cwd() }) {
  await mkdir(path.dirname(outFile), { recursive: true });
  const defines = Object.fromEntries(Object.entries(define).map(([k, v]) => [k, JSON.stringify(v)]));
  await build({
    entryPoints: [entry],
    outfile: outFile,
    absWorkingDir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: [...UNUSED_DRIVERS, ...external],
    define: { ...defines, 'import.meta.url': '__bundleFileUrl', 'import.meta.dirname': '__dirname', 'import.meta.filename': '__filename' },
    banner: { js: "const __bundleFileUrl = require('node:url').pathToFileURL(__filename).href;" },
    legalComments: 'none',
    logLevel: 'error',
  });
  if (!nativeSqlite) return { outFile };
  const nativeFile = path.join(path.dirname(outFile), NATIVE_SQLITE_FILE);
  await copyFile(betterSqliteAddonPath(), nativeFile);
  return { outFile, nativeFile };
}
