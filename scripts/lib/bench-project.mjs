/**
 * A minimal hop-spec project for bench-build: bundles/<hop>/bundle.yaml with one
 * component per generated file under artifacts/ and one trivial migration
 * (install.sh is uphop's own).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** hops: [{ name, to, files: [artifact file names] }] — every hop goes from 1.0.0 */
export async function writeProject(dir, hops) {
  await mkdir(path.join(dir, 'schema-migrations/1.0.1'), { recursive: true });
  await writeFile(path.join(dir, 'schema-migrations/1.0.1/001-noop.mjs'), 'export async function up() {}\nexport async function down() {}\n');
  for (const hop of hops) {
    const components = hop.files.map((f, i) => [`  - name: c${String(i + 1).padStart(2, '0')}`, `    version: ${hop.to}`, `    package: \${artifacts}/${f}`, '    type: tarball'].join('\n'));
    const yaml = ['product: bench', 'from: 1.0.0', `to: ${hop.to}`, 'components:', ...components, 'configs: []', 'migrations: schema-migrations', ''].join('\n');
    await mkdir(path.join(dir, 'bundles', hop.name), { recursive: true });
    await writeFile(path.join(dir, 'bundles', hop.name, 'bundle.yaml'), yaml);
  }
}
