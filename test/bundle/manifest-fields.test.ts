/**
 * Every manifest value that becomes a path, an argument or a key is checked
 * before use. Each hostile manifest here is validly signed (so it gets past the
 * signature, as a compromised build or an honest mistake would), then given to
 * verify, to install (archive and extracted folder) and, for a sample, to the
 * CLI: each must be a refusal (exit 3) naming the field, never an internal
 * error, and nothing outside the temp root may change.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractBundle } from '../../src/bundle/extract.js';
import type { Manifest } from '../../src/bundle/manifest.js';
import { verifyBundle } from '../../src/bundle/verify.js';
import { writeBundle } from '../../src/bundle/write.js';
import { isUphopError, type UphopError } from '../../src/errors.js';
import { install } from '../../src/install/index.js';
import { HOOK_NAMES, NAME } from '../../src/bundle/fields.js';
import { NAME as SPEC_NAME } from '../../src/spec/validate-components.js';
import { HOOK_NAMES as SPEC_HOOKS } from '../../src/spec/validate-services.js';
import { ACME_TOP as TOP, acmeManifest, signingKey } from './fixtures.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const FILES: Record<string, [string, number]> = {
  'install.sh': ['#!/bin/sh\n', 0o755],
  'components/api-1.1.0.tgz': ['not really a package', 0o644],
  'configs/a.yaml.tmpl': ['port: 1\n', 0o644],
  'migrations/1.1.0/001-init.sql': ['select 1;\n', 0o644],
  'agents/agent-1.1.0.tgz': ['agent', 0o644],
  'hooks/pre.sh': ['#!/bin/sh\ntrue\n', 0o755],
};

function baseManifest(): Manifest {
  const files = Object.fromEntries(Object.entries(FILES).map(([p, [text, mode]]) => [p, { sha256: sha(Buffer.from(text)), size: Buffer.byteLength(text), mode: `0${mode.toString(8)}` }]));
  return {
    ...acmeManifest(files),
    components: [{ name: 'api', version: '1.1.0', type: 'tarball', file: 'components/api-1.1.0.tgz', service: { exec: ['${node}', 'server.js'], env: { PORT: '1' }, unit: 'acme-api' } }],
    configs: [{ template: 'configs/a.yaml.tmpl', dest: 'etc/acme/a.yaml', mode: '0640' }],
    migrations: [{ version: '1.1.0', name: '1.1.0/001-init.sql', file: 'migrations/1.1.0/001-init.sql', phase: 'main' }],
    services: { order: ['api'], health: [] },
    agents: { file: 'agents/agent-1.1.0.tgz', version: '1.1.0', rollout: {} },
    hooks: { preflight: 'hooks/pre.sh' },
  };
}

type M = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const fileEntry = { sha256: sha(Buffer.from('x')), size: 1, mode: '0644' };
const CASES: [string, (m: M) => void][] = [
  [
    'manifest.product',
    (m) => {
      m.product = '../../etc';
    },
  ],
  [
    'manifest.product',
    (m) => {
      m.product = 'Acme';
    },
  ],
  [
    'manifest.from',
    (m) => {
      m.from = '1.0.0/../../../tmp';
    },
  ],
  [
    'manifest.from',
    (m) => {
      m.from = '..';
    },
  ],
  [
    'manifest.to',
    (m) => {
      m.to = '1.1.0/../../../tmp';
    },
  ],
  [
    'manifest.to',
    (m) => {
      m.to = 'v1.1.0';
    },
  ],
  [
    'manifest.to',
    (m) => {
      m.to = 42;
    },
  ],
  [
    'components[0].name',
    (m) => {
      m.components[0].name = '../../evil';
    },
  ],
  [
    'components[0].name',
    (m) => {
      m.components[0].name = '__proto__';
    },
  ],
  [
    'components[1].name',
    (m) => {
      m.components.push({ ...m.components[0] });
    },
  ],
  [
    'components[0].version',
    (m) => {
      m.components[0].version = '../../../../x';
    },
  ],
  [
    'components[0].version',
    (m) => {
      m.components[0].version = '1.1';
    },
  ],
  [
    'components[0].service.unit',
    (m) => {
      m.components[0].service.unit = '../../etc/systemd/x';
    },
  ],
  [
    'components[0].service.unit',
    (m) => {
      m.components[0].service.unit = '..';
    },
  ],
  [
    'components[0].service.env',
    (m) => {
      m.components[0].service.env = { 'LD_PRELOAD=/x y': '1' };
    },
  ],
  [
    'components[0].service.exec',
    (m) => {
      m.components[0].service.exec = [];
    },
  ],
  [
    'migrations[0].version',
    (m) => {
      m.migrations[0].version = '1.1.0/../..';
    },
  ],
  [
    'migrations[0].name',
    (m) => {
      m.migrations[0].name = '1.1.0/../../x.sql';
    },
  ],
  [
    'migrations[0].name',
    (m) => {
      m.migrations[0].name = '9.9.9/001-init.sql';
    },
  ],
  [
    'migrations[1].name',
    (m) => {
      m.migrations.push({ ...m.migrations[0] });
    },
  ],
  [
    'configs[0].dest',
    (m) => {
      m.configs[0].dest = '/etc/passwd';
    },
  ],
  [
    'configs[0].dest',
    (m) => {
      m.configs[0].dest = 'etc/../../../x';
    },
  ],
  [
    'configs[0].dest',
    (m) => {
      m.configs[0].dest = 'etc/__proto__/x';
    },
  ],
  [
    'hooks.../../x',
    (m) => {
      m.hooks['../../x'] = 'hooks/pre.sh';
    },
  ],
  [
    'hooks.preflight',
    (m) => {
      m.hooks.preflight = '../../bin/sh';
    },
  ],
  [
    'test_path.ignore_data[0]',
    (m) => {
      m.test_path = { ignore_data: ['items" or 1=1 --'] };
    },
  ],
  [
    'agents.version',
    (m) => {
      m.agents.version = '../..';
    },
  ],
  [
    'agents.file',
    (m) => {
      m.agents.file = '/etc/passwd';
    },
  ],
  [
    'services.order[0]',
    (m) => {
      m.services.order = ['constructor'];
    },
  ],
  [
    'services.order[1]',
    (m) => {
      m.services.order = ['api', 'ghost'];
    },
  ],
  [
    'files["__proto__"]',
    (m) => {
      m.files = JSON.parse(`{"__proto__": ${JSON.stringify(fileEntry)}, ${JSON.stringify(m.files).slice(1)}`);
    },
  ],
  [
    'files["a/__proto__/b"]',
    (m) => {
      m.files['a/__proto__/b'] = fileEntry;
    },
  ],
  [
    'files["../x"]',
    (m) => {
      m.files['../x'] = fileEntry;
    },
  ],
];

let tmp: string;
let pub: string;
let sign: (bytes: Buffer) => Buffer;

/** the bundle of a manifest, signed; its files are FILES plus whatever the manifest adds (one byte "x") */
async function bundleOf(m: M, dir: string): Promise<string> {
  const bytes = Buffer.from(JSON.stringify(m, null, 2) + '\n');
  const out = path.join(dir, `${TOP}.tar.gz`);
  const paths = Object.keys(m.files).filter((p) => !p.split('/').some((s) => s === '..' || s === '__proto__'));
  const entries = paths.map((p) => {
    const data = Buffer.from(FILES[p]?.[0] ?? 'x');
    return { path: p, source: { data }, mode: FILES[p]?.[1] ?? 0o644, sha256: sha(data), size: data.length };
  });
  await writeBundle({ out, topDir: TOP, manifestBytes: bytes, signature: sign(bytes), entries, mtime: 1_700_000_000 });
  return out;
}

/** every path under world outside `except`, with file contents */
async function snapshot(world: string, except: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (p === except) continue;
      out.push(e.isFile() ? `${p}=${sha(await readFile(p))}` : p);
      if (e.isDirectory()) await walk(p);
    }
  };
  await walk(world);
  return out.sort();
}

function expectFieldRefusal(e: unknown, field: string): void {
  expect(isUphopError(e), String(e)).toBe(true);
  const err = e as UphopError;
  expect({ field, code: err.code, exitCode: err.exitCode }).toEqual({ field, code: 'BUNDLE_BAD_MANIFEST', exitCode: 3 });
  expect(err.problems.map((p) => p.field)).toContain(field);
  expect(err.message).toContain(field);
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'uphop-fields-'));
  ({ pub, sign } = await signingKey(path.join(tmp, 'keys')));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe('every manifest field is checked before it is used', () => {
  it("the installer's rules are the spec's rules", () => {
    expect(NAME.source).toBe(SPEC_NAME.source);
    expect([...HOOK_NAMES]).toEqual([...SPEC_HOOKS]);
  });

  it('the base manifest is accepted (control)', async () => {
    const dir = await mkdtemp(path.join(tmp, 'base-'));
    const v = await verifyBundle(await bundleOf(baseManifest(), dir), { trust: pub });
    expect(v.manifest.product).toBe('acme');
  });

  for (const [i, [field, edit]] of CASES.entries()) {
    it(`refuses a bad ${field} (case ${i}) in verify, install of the archive and of its folder; nothing outside the root changes`, async () => {
      const world = await mkdtemp(path.join(tmp, 'world-'));
      const m = baseManifest() as M;
      edit(m);
      const bundle = await bundleOf(m, world);
      const root = path.join(world, 'root');
      await mkdir(root);
      await writeFile(path.join(world, 'sentinel'), 'untouched');
      expectFieldRefusal(await verifyBundle(bundle, { trust: pub }).catch((e: unknown) => e), field);
      const before = await snapshot(world, root);
      expectFieldRefusal(await install({ bundle, root, trust: pub }).catch((e: unknown) => e), field);
      // the extracted folder form (`install DIR`): unpacked by GNU tar, as a customer would
      const unpacked = path.join(world, 'unpacked');
      await mkdir(unpacked);
      await promisify(execFile)('tar', ['-xzf', bundle, '-C', unpacked]);
      const folderBefore = await snapshot(world, root);
      expectFieldRefusal(await install({ bundle: path.join(unpacked, TOP), root, trust: pub }).catch((e: unknown) => e), field);
      expect(await snapshot(world, root)).toEqual(folderBefore);
      expect(before.filter((p) => !p.includes('/unpacked'))).toEqual((await snapshot(world, root)).filter((p) => !p.includes('/unpacked')));
      expect(await readdir(path.join(root, 'var/lib/uphop/bundles')).catch(() => [])).toEqual([]);
    });
  }

  it('through the CLI: exit 3 with the field named, no internal error', async () => {
    const dir = await mkdtemp(path.join(tmp, 'cli-'));
    for (const i of [0, 12, 29]) {
      const [field, edit] = CASES[i];
      const m = baseManifest() as M;
      edit(m);
      const bundle = await bundleOf(m, await mkdtemp(path.join(dir, 'b-')));
      const r = await promisify(execFile)(process.execPath, [path.resolve('dist/cli/main.js'), 'install', bundle, '--root', path.join(dir, 'root'), '--trust', pub]).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
      );
      expect({ field, code: r.code }).toEqual({ field, code: 3 });
      expect(r.stderr).toContain(field);
      expect(r.stderr).not.toContain('bug in uphop');
    }
  });

  it('an extracted folder: a file named like an Object property is not taken as listed', async () => {
    const dir = await mkdtemp(path.join(tmp, 'own-'));
    const bundle = await bundleOf(baseManifest(), dir);
    const x = await extractBundle(bundle, path.join(dir, 'x'), { trust: pub });
    for (const name of ['constructor', 'toString', 'hasOwnProperty']) {
      await writeFile(path.join(x.dir, name), '#!/bin/sh\necho planted\n');
      const e = (await install({ bundle: x.dir, root: path.join(dir, 'root'), trust: pub }).catch((err: unknown) => err)) as UphopError;
      expect({ name, code: e.code, exitCode: e.exitCode }).toEqual({ name, code: 'BUNDLE_EXTRA_FILE', exitCode: 3 });
      await rm(path.join(x.dir, name));
    }
  });
});
