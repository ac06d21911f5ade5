/**
 * Once per test run: build the CLI and the bundled installer, pack the reference
 * product's components, and build its unsigned bundles, so tests exercise what a
 * user would run. UPHOP_SKIP_BUILD=1 skips it all (for a quick run of pure-logic tests).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    bundlesDir: string;
  }
}

export default function setup(project: TestProject) {
  if (process.env.UPHOP_SKIP_BUILD) {
    project.provide('bundlesDir', '');
    return;
  }
  const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  // UPHOP_PREBUILT=1: dist/ is already built (a developer's quick re-run)
  if (!process.env.UPHOP_PREBUILT) run('npm', ['run', '--silent', 'build']);
  if (!existsSync('dist/cli/main.js')) throw new Error('build did not produce dist/cli/main.js');
  run('node', ['scripts/pack-components.mjs']);
  const out = mkdtempSync(path.join(tmpdir(), 'uphop-test-bundles-'));
  execFileSync('node', ['dist/cli/main.js', 'build', '--all', '--out', out], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' } });
  project.provide('bundlesDir', out);
  return () => rmSync(out, { recursive: true, force: true });
}
