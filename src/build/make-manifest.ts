/**
 * The manifest of a bundle from its spec and the hashed inputs. Key order is fixed
 * and `files` is sorted, so the bytes (which are signed) are reproducible.
 */
import { MANIFEST_FORMAT, type FileEntry, type Manifest } from '../bundle/manifest.js';
import type { HopSpec } from '../spec/types.js';
import type { Collected } from './collect.js';

export const octal = (mode: number) => '0' + (mode & 0o7777).toString(8).padStart(3, '0');

export function makeManifest(spec: HopSpec, c: Collected, files: Map<string, FileEntry>, created: Date, signer?: string): Manifest {
  const sortedFiles: Record<string, FileEntry> = {};
  for (const p of [...files.keys()].sort()) sortedFiles[p] = files.get(p)!;
  return {
    format: MANIFEST_FORMAT,
    product: spec.product,
    from: spec.from,
    to: spec.to,
    created: created.toISOString(),
    platform: { os: process.platform, arch: process.arch, node: '>=20', modules: process.versions.modules },
    components: spec.components.map((s) => ({
      name: s.name,
      version: s.version,
      type: s.type,
      file: c.componentFiles.get(s.name)!,
      ...(s.service ? { service: s.service } : {}),
    })),
    configs: spec.configs.map((s, i) => ({ template: c.configFiles[i], dest: s.dest, mode: s.mode })),
    migrations: spec.migrations.map((m, i) => ({ version: m.version, name: m.name, file: c.migrationFiles[i], phase: m.phase })),
    services: { order: spec.services.order, health: spec.services.health },
    ...(spec.agents && c.agentFile ? { agents: { file: c.agentFile, version: spec.agents.version, rollout: spec.agents.rollout } } : {}),
    hooks: c.hookFiles,
    ...(spec.testPath?.ignoreData.length ? { test_path: { ignore_data: spec.testPath.ignoreData } } : {}),
    ...(signer ? { signer } : {}),
    files: sortedFiles,
  };
}

export const manifestBytes = (m: Manifest) => Buffer.from(JSON.stringify(m, null, 2) + '\n');
