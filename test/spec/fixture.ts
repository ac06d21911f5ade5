/**
 * Builds a throw-away project (bundles/<hop>/bundle.yaml, artifacts/, templates/,
 * schema-migrations/, hooks/) in a temp dir, from a valid base that each case
 * breaks in one way.
 */
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import YAML from 'yaml';
import { encodeHeader, padding, ZERO_BLOCK } from '../../src/bundle/tar-header.js';

export type FileSpec = string | Buffer | { text: string; mode: number } | { symlink: string } | null;
export type Files = Record<string, FileSpec>;
export type Spec = Record<string, any>;

export const HOP = '4.0.1-to-4.1.1';

export function baseSpec(): Spec {
  return {
    product: 'beacon',
    from: '4.0.1',
    to: '4.1.1',
    components: [
      {
        name: 'rest-service',
        version: '4.1.1',
        package: '${artifacts}/beacon-rest-4.1.1.tgz',
        type: 'tarball',
        service: { exec: ['${node}', '${release}/server.js', '--config', '${root}/etc/beacon/rest.yaml'], env: { BEACON_ROLE: 'rest', PORT: '${rest_port}' }, unit: 'beacon-rest' },
      },
      { name: 'worker', version: '4.1.1', package: '${artifacts}/beacon-worker-4.1.1.tgz', type: 'tarball', service: { exec: ['${node}', '${release}/worker.js'] } },
    ],
    configs: [{ template: 'templates/rest-service.yaml.tmpl', dest: 'etc/beacon/rest.yaml', mode: '0640' }],
    migrations: 'schema-migrations',
    services: {
      order: ['rest-service', 'worker'],
      health: [
        { name: 'rest', http: 'http://127.0.0.1:${rest_port}/health', body: '"version":"${version}"', timeout: '60s' },
        { name: 'worker', tcp: '127.0.0.1:${worker_port}', timeout: '30s' },
        { name: 'db', command: ['${node}', '-e', 'process.exit(0)'], timeout: '500ms' },
      ],
    },
    agents: { package: '${artifacts}/beacon-agent-4.1.1.tgz', rollout: { canary: '10%', batch: 20, delay: '5s', max_failures: '5%' } },
    hooks: { preflight: 'hooks/check-disk.sh' },
    install_script: 'templates/install.sh.tmpl',
  };
}

/** a real .tgz holding `files` (path -> text; a trailing "*" on the path makes it executable) */
export function tgz(files: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, text] of Object.entries(files)) {
    const data = Buffer.from(text);
    const exec = name.endsWith('*');
    parts.push(encodeHeader({ path: `./${exec ? name.slice(0, -1) : name}`, kind: 'file', mode: exec ? 0o755 : 0o644, size: data.length, mtime: 0 }), data, Buffer.alloc(padding(data.length)));
  }
  return gzipSync(Buffer.concat([...parts, ZERO_BLOCK, ZERO_BLOCK]));
}

export function baseFiles(): Files {
  return {
    'artifacts/beacon-rest-4.1.1.tgz': tgz({ 'server.js': 'rest', 'main.js': 'main' }),
    'artifacts/beacon-worker-4.1.1.tgz': tgz({ 'worker.js': 'worker', 'main.js': 'main' }),
    'artifacts/beacon-agent-4.1.1.tgz': 'agent',
    'templates/values.sample.yaml': 'rest_port: 8080\nworker_port: 8081\ndb:\n  client: sqlite\n  connection: { filename: var/lib/beacon/beacon.db }\n',
    'templates/rest-service.yaml.tmpl': 'port: ${rest_port}\nroot: ${root}\ndb: ${db}\nliteral: $${not_a_var}\n',
    'templates/install.sh.tmpl': '#!/bin/sh\n# ${product} ${from} -> ${to}\necho "$${HOME}"\n',
    'schema-migrations/4.0.1/001-create-items.sql': '-- up\nCREATE TABLE items (id int);\n-- down\nDROP TABLE items;\n',
    'schema-migrations/4.1.0/001-add-tags.pre.mjs': 'export async function up({ context }) { await context.schema.createTable("tags", () => {}); }\nexport async function down() {}\n',
    'schema-migrations/4.1.1/002-drop-old.post.cjs': 'exports.up = async () => {}; exports.down = async () => {};\n',
    'schema-migrations/4.1.1/001-rename.sql': '-- up\nALTER TABLE items RENAME TO things;\n',
    'schema-migrations/4.2.0/001-future.mjs': 'export async function up() {}\n',
    'hooks/check-disk.sh': { text: '#!/bin/sh\nexit 0\n', mode: 0o755 },
  };
}

export interface Project {
  root: string;
  hopDir: string;
  specFile: string;
  cleanup(): Promise<void>;
}

/** writes the project; `spec` is an object (written as YAML) or raw YAML text; a null file is left out */
export async function makeProject(spec: Spec | string = baseSpec(), files: Files = baseFiles()): Promise<Project> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'uphop-spec-'));
  const hopDir = path.join(root, 'bundles', HOP);
  await mkdir(hopDir, { recursive: true });
  const specFile = path.join(hopDir, 'bundle.yaml');
  await writeFile(specFile, typeof spec === 'string' ? spec : YAML.stringify(spec));
  for (const [rel, content] of Object.entries(files)) {
    if (content === null) continue;
    const file = path.join(root, rel);
    await mkdir(path.dirname(file), { recursive: true });
    if (typeof content === 'string' || Buffer.isBuffer(content)) await writeFile(file, content);
    else if ('symlink' in content) await symlink(content.symlink, file);
    else {
      await writeFile(file, content.text);
      await chmod(file, content.mode);
    }
  }
  return { root, hopDir, specFile, cleanup: () => rm(root, { recursive: true, force: true }) };
}
