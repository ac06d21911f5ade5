/**
 * uphop init with generated names and versions (seeded; the seed is printed):
 * a valid name gives a scaffold whose every path stays inside the project and
 * whose spec parses back to that name and version; a hostile name or version
 * (slashes, dots, spaces, uppercase, shell characters) is refused with exit 2
 * before anything is written.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { initProject } from '../../src/init/index.js';
import { scaffoldFiles } from '../../src/init/scaffold.js';
import { isUphopError } from '../../src/errors.js';

const seed = Number(process.env.UPHOP_SEED ?? Date.now() % 1_000_000);
console.log(`scaffold.test seed ${seed} (UPHOP_SEED=${seed} repeats it)`);
let state = seed;
const rand = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const pick = (s: string) => s[Math.floor(rand() * s.length)];

let base: string;
beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'uphop-scaffold-'));
});
afterAll(() => rm(base, { recursive: true, force: true }));

it('valid names and versions: every path inside the project, the spec names them', () => {
  for (let n = 0; n < 200; n++) {
    const product = pick('abcdefghijklmnopqrstuvwxyz') + Array.from({ length: Math.floor(rand() * 12) }, () => pick('abcdefghijklmnopqrstuvwxyz0123456789-')).join('');
    const version = [0, 0, 0].map(() => Math.floor(rand() * 30)).join('.');
    const files = scaffoldFiles({ product, version, db: (['sqlite', 'postgres', 'mysql'] as const)[n % 3] });
    for (const rel of Object.keys(files)) {
      expect(path.isAbsolute(rel) || rel.split('/').includes('..'), rel).toBe(false);
    }
    const spec = YAML.parse(files[`bundles/none-to-${version}/bundle.yaml`].text);
    expect(spec).toMatchObject({ product, from: 'none', to: version, components: [{ name: 'server', version }] });
    expect(YAML.parse(files['templates/values.sample.yaml'].text).db.client).toBe(['sqlite', 'pg', 'mysql'][n % 3]);
  }
});

it('hostile names and versions are refused with exit 2, nothing written', async () => {
  const hostile = '/.\\ $`;"\'*?~<>|&\n\tA_Z';
  for (let n = 0; n < 100; n++) {
    const ok = Array.from({ length: 1 + Math.floor(rand() * 6) }, () => pick('abcxyz')).join('');
    const bad = ok.slice(0, Math.floor(rand() * ok.length)) + pick(hostile) + ok;
    const dir = path.join(base, `t${n}`);
    const asVersion = n % 2 === 1;
    const e = await initProject({ dir, product: asVersion ? 'acme' : bad, version: asVersion ? `1.0.${bad}` : undefined }).then(
      () => undefined,
      (x) => x,
    );
    expect(isUphopError(e) && e.exitCode, `${JSON.stringify(bad)} was accepted`).toBe(2);
    expect(e.code).toBe(asVersion ? 'INIT_BAD_VERSION' : 'INIT_BAD_NAME');
    expect(await readdir(base)).not.toContain(`t${n}`);
  }
});
