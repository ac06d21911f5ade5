/**
 * Bundles built from a modified copy of the reference project, for failure and
 * refusal tests: a migration that throws, a health check that never passes, a
 * package whose service crashes. Built with the real CLI, like a release engineer.
 */
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { CLI } from './manager.js';

export interface Variant {
  dir: string;
  artifacts: string;
  /** edit bundles/<hop>/bundle.yaml as data */
  editSpec(hop: string, edit: (spec: any) => void): Promise<void>;
  write(rel: string, text: string): Promise<void>;
  build(hop: string): string;
  cleanup(): Promise<void>;
}

export async function variant(): Promise<Variant> {
  const dir = await mkdtemp(path.join(tmpdir(), 'uphop-variant-'));
  for (const d of ['bundles', 'templates', 'schema-migrations', 'hooks', 'artifacts']) await cp(d, path.join(dir, d), { recursive: true });
  const out = path.join(dir, 'out');
  return {
    dir,
    artifacts: path.join(dir, 'artifacts'),
    async editSpec(hop, edit) {
      const file = path.join(dir, 'bundles', hop, 'bundle.yaml');
      const spec = YAML.parse(await readFile(file, 'utf8'));
      edit(spec);
      await writeFile(file, YAML.stringify(spec));
    },
    async write(rel, text) {
      await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
      await writeFile(path.join(dir, rel), text);
    },
    build(hop) {
      execFileSync(process.execPath, [CLI, 'build', path.join(dir, 'bundles', hop), '--out', out], { env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' }, stdio: 'pipe' });
      return path.join(out, `beacon-${hop}.tar.gz`);
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
