/**
 * The README's examples run as written (blocks fenced as ```sh example), with
 * `uphop` on PATH as the built CLI, in a copy of the project: they never rot.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from './helpers/manager.js';

const blocks = [...readFileSync('README.md', 'utf8').matchAll(/```sh example\n([\s\S]*?)```/g)].map((m) => m[1]);
const work = mkdtempSync(path.join(tmpdir(), 'uphop-readme-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('README examples', () => {
  it('has examples to run', () => expect(blocks.length).toBeGreaterThan(0));

  it.each(blocks.map((b, i) => [i + 1, b]))('example %i runs', (_i, block) => {
    const project = path.join(work, 'project');
    rmSync(project, { recursive: true, force: true });
    for (const d of ['bundles', 'templates', 'schema-migrations', 'hooks', 'artifacts']) cpSync(d, path.join(project, d), { recursive: true });
    const bin = path.join(work, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(path.join(bin, 'uphop'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
    chmodSync(path.join(bin, 'uphop'), 0o755);
    const out = execFileSync('bash', ['-euo', 'pipefail', '-c', block as string], {
      cwd: project,
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, SOURCE_DATE_EPOCH: '1700000000', UPHOP_HOME: path.join(work, 'home') },
      encoding: 'utf8',
      stdio: 'pipe',
    });
    expect(out).not.toMatch(/error/i);
  });
});
