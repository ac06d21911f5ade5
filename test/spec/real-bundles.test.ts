/**
 * Every hop spec of the reference product (bundles/*\/bundle.yaml) loads without a
 * problem. Uses artifacts/ when it is packed, else packs the components into a temp
 * folder with scripts/pack-components.mjs (the shared tree is left as it is).
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { isUphopError } from '../../src/errors.js';
import { loadHopSpec } from '../../src/spec/load.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PACK = path.join(ROOT, 'scripts/pack-components.mjs');
const hops = existsSync(path.join(ROOT, 'bundles'))
  ? readdirSync(path.join(ROOT, 'bundles'))
      .filter((d) => existsSync(path.join(ROOT, 'bundles', d, 'bundle.yaml')))
      .sort()
  : [];
const packed = existsSync(path.join(ROOT, 'artifacts'));
const runnable = hops.length > 0 && (packed || existsSync(PACK));
if (!runnable) console.warn('skipping the real-spec test: no bundles/*/bundle.yaml, or no artifacts/ and no scripts/pack-components.mjs to pack them');

describe.skipIf(!runnable)("the reference product's hop specs", () => {
  let artifacts = path.join(ROOT, 'artifacts');
  let temp: string | undefined;

  beforeAll(async () => {
    if (packed) return;
    temp = await mkdtemp(path.join(os.tmpdir(), 'uphop-artifacts-'));
    artifacts = temp;
    await promisify(execFile)(process.execPath, [PACK, '--out', temp], { cwd: ROOT });
  }, 300_000);
  afterAll(async () => {
    if (temp) await rm(temp, { recursive: true, force: true });
  });

  test.each(hops.length ? hops : ['(none)'])('bundles/%s loads without problems', async (hop) => {
    const spec = await loadHopSpec(path.join(ROOT, 'bundles', hop), { artifacts }).catch((e: unknown) => {
      const problems = isUphopError(e) ? e.problems.map((p) => `\n  ${p.file} ${p.field ?? ''}: ${p.message} -> ${p.hint}`).join('') : '';
      throw new Error(`${String((e as Error).message)}${problems}`);
    });
    expect(spec.projectRoot).toBe(ROOT);
    expect(`${spec.from}-to-${spec.to}`).toBe(hop);
    for (const c of spec.components) expect(c.package.startsWith(artifacts + path.sep)).toBe(true);
    for (const m of spec.migrations) expect(existsSync(m.file)).toBe(true);
  });
});
