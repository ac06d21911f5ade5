import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { UphopError } from '../../src/errors.js';
import { discoverMigrations, packageImports, parseSqlMigration } from '../../src/spec/migrations.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function folder(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'uphop-migrations-'));
  dirs.push(dir);
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), text);
  }
  return dir;
}

const SQL = '-- up\nSELECT 1;\n';
const JS = 'export async function up({ context }) {}\n';
const catching = async (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e) => e as UphopError,
  );

describe('discoverMigrations', () => {
  const tree = {
    '3.4.2/001-init.sql': SQL,
    '4.0.1/001-tags.mjs': JS,
    '4.1.0/002-b.post.sql': SQL,
    '4.1.0/001-a.pre.cjs': 'exports.up = async () => {};',
    '4.1.0/010-c.js': JS,
    '4.1.1/001-rename.sql': SQL,
    '4.10.0/001-later.sql': SQL, // semver order, not text order: 4.10.0 > 4.2.0
    '4.2.0/001-index.sql': SQL,
    '.hidden/ignored.txt': 'x',
    'README.md': 'not a migration',
  };

  test.each([
    ['an exact from: (from, to]', '4.0.1', '4.1.1', ['4.1.0/001-a.pre.cjs', '4.1.0/002-b.post.sql', '4.1.0/010-c.js', '4.1.1/001-rename.sql']],
    ['a fresh install: <= to', 'none', '4.0.1', ['3.4.2/001-init.sql', '4.0.1/001-tags.mjs']],
    ['a range with an exclusive upper bound', '>=4.0.0 <4.1.0', '4.1.1', ['4.1.0/001-a.pre.cjs', '4.1.0/002-b.post.sql', '4.1.0/010-c.js', '4.1.1/001-rename.sql']],
    ['an x-range', '4.0.x', '4.1.0', ['4.1.0/001-a.pre.cjs', '4.1.0/002-b.post.sql', '4.1.0/010-c.js']],
    ['semver order across minor versions', '4.1.1', '4.10.0', ['4.2.0/001-index.sql', '4.10.0/001-later.sql']],
  ])('selects %s', async (_what, from, to, names) => {
    const dir = await folder(tree);
    expect((await discoverMigrations(dir, from, to)).map((m) => m.name)).toEqual(names);
  });

  test('gives the phase, version and absolute file of each migration', async () => {
    const dir = await folder(tree);
    const found = await discoverMigrations(dir, '4.0.1', '4.1.0');
    expect(found.map((m) => [m.version, m.phase, m.file])).toEqual([
      ['4.1.0', 'pre', path.join(dir, '4.1.0/001-a.pre.cjs')],
      ['4.1.0', 'post', path.join(dir, '4.1.0/002-b.post.sql')],
      ['4.1.0', 'main', path.join(dir, '4.1.0/010-c.js')],
    ]);
  });

  test.each([
    ['a version folder that is not semver', { 'v4.1.1/001-a.sql': SQL }, 'v4.1.1', /not a semver version/, /4\.1\.1/],
    ['an unsupported extension', { '4.1.1/001-a.ts': JS }, '4.1.1/001-a.ts', /unsupported extension/, /\.mjs/],
    ['a .sql without -- up', { '4.1.1/001-a.sql': 'CREATE TABLE x (id int);' }, '4.1.1/001-a.sql', /no "-- up" section/, /-- up/],
    ['a file without a sequence number', { '4.1.1/rename.sql': SQL }, '4.1.1/rename.sql', /sequence number/, /001-rename\.sql/],
    ['a migration outside any version folder', { '001-a.sql': SQL }, '001-a.sql', /not inside a version folder/, /<version>/],
    ['a sub-folder in a version folder', { '4.1.1/extra/001-a.sql': SQL }, '4.1.1/extra', /folder inside a version folder/, /sub-folders/],
    ['a module importing a package', { '4.1.1/001-a.mjs': "import knex from 'knex';\n" + JS }, '4.1.1/001-a.mjs', /imports the package "knex"/, /air-gapped/],
  ])('refuses %s, even outside the hop range', async (_what, files, file, message, hint) => {
    const dir = await folder({ ...files, '4.0.1/001-ok.sql': SQL });
    const err = await catching(discoverMigrations(dir, '4.0.1', '4.0.2'));
    expect(err).toBeInstanceOf(UphopError);
    expect(err.code).toBe('MIGRATIONS_INVALID');
    expect(err.exitCode).toBe(2);
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toMatchObject({ file: path.join(dir, file), field: 'migrations' });
    expect(err.problems[0].message).toMatch(message);
    expect(err.problems[0].hint).toMatch(hint);
  });

  test('refuses a missing folder', async () => {
    const err = await catching(discoverMigrations(path.join(os.tmpdir(), 'uphop-no-such-folder'), 'none', '1.0.0'));
    expect(err.code).toBe('MIGRATIONS_MISSING');
    expect(err.exitCode).toBe(2);
  });
});

describe('packageImports', () => {
  test.each([
    ['a static import', "import knex from 'knex';", ['knex']],
    ['a scoped package', 'import { x } from "@scope/pkg/sub";', ['@scope/pkg/sub']],
    ['a multi-line import', "import {\n  a,\n  b,\n} from 'lodash';", ['lodash']],
    ['a require', "const x = require('pg');", ['pg']],
    ['a dynamic import', "const m = await import('mysql2');", ['mysql2']],
    ['a re-export', "export { a } from 'left-pad';", ['left-pad']],
    ['node built-ins', "import fs from 'node:fs'; import path from 'path'; require('crypto');", []],
    ['relative files', "import './helper.mjs';", []],
    ['SQL text in strings', "export const up = ({ context }) => context.raw('select 1 from items');", []],
  ])('finds %s', (_what, source, expected) => {
    expect(packageImports(source)).toEqual(expected);
  });
});

describe('parseSqlMigration', () => {
  test.each([
    ['up and down', '-- up\nCREATE TABLE a (id int);\n-- down\nDROP TABLE a;\n', { up: 'CREATE TABLE a (id int);', down: 'DROP TABLE a;' }],
    ['up only', '-- up\nCREATE INDEX i ON a (id);', { up: 'CREATE INDEX i ON a (id);' }],
    ['down before up', '-- down\nDROP TABLE a;\n-- up\nCREATE TABLE a (id int);', { up: 'CREATE TABLE a (id int);', down: 'DROP TABLE a;' }],
    ['comments before up and CRLF lines', '-- adds a\r\n\r\n-- up\r\nCREATE TABLE a (id int);\r\n-- down  \r\n', { up: 'CREATE TABLE a (id int);' }],
    ['a comment that only looks like a marker', '-- up\n-- update: keep rows\nUPDATE a SET x = 1;', { up: '-- update: keep rows\nUPDATE a SET x = 1;' }],
  ])('reads %s', (_what, text, expected) => {
    expect(parseSqlMigration(text, 'm.sql')).toEqual(expected);
  });

  test.each([
    ['no -- up', 'CREATE TABLE a (id int);', /no "-- up" section/],
    ['an empty -- up', '-- up\n\n-- down\nDROP TABLE a;', /empty "-- up"/],
    ['two -- up sections', '-- up\nSELECT 1;\n-- up\nSELECT 2;', /two "-- up"/],
    ['statements before -- up', 'SELECT 0;\n-- up\nSELECT 1;', /before its "-- up"/],
  ])('refuses %s, naming the file', (_what, text, message) => {
    const err = (() => {
      try {
        parseSqlMigration(text, 'db/4.1.1/001-a.sql');
      } catch (e) {
        return e;
      }
    })() as UphopError;
    expect(err).toBeInstanceOf(UphopError);
    expect(err.code).toBe('SQL_MIGRATION_INVALID');
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('db/4.1.1/001-a.sql');
    expect(err.message).toMatch(message);
    expect(err.hint).toBeTruthy();
  });
});
