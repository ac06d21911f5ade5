/** The CLI and the bundled installer are tested as built: build once before any test. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export default function setup() {
  if (process.env.UPHOP_SKIP_BUILD) return;
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
  if (!existsSync('dist/cli/main.js')) throw new Error('build did not produce dist/cli/main.js');
}
