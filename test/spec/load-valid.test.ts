import { mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { expect, test } from 'vitest';
import type { UphopError } from '../../src/errors.js';
import { loadHopSpec } from '../../src/spec/load.js';
import { baseFiles, baseSpec, HOP, makeProject } from './fixture.js';

const rejection = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e) => e as UphopError,
  );

test("a valid spec loads into the HopSpec: absolute paths, the hop's migrations with phases, sample values", async () => {
  const project = await makeProject();
  const r = (rel: string) => path.join(project.root, rel);
  try {
    const spec = await loadHopSpec(project.hopDir);
    const base = baseSpec();
    expect(spec).toEqual({
      file: project.specFile,
      hopDir: project.hopDir,
      projectRoot: project.root,
      product: 'beacon',
      from: '4.0.1',
      to: '4.1.1',
      components: [
        { name: 'rest-service', version: '4.1.1', type: 'tarball', package: r('artifacts/beacon-rest-4.1.1.tgz'), service: base.components[0].service },
        { name: 'worker', version: '4.1.1', type: 'tarball', package: r('artifacts/beacon-worker-4.1.1.tgz'), service: base.components[1].service },
      ],
      configs: [{ template: r('templates/rest-service.yaml.tmpl'), dest: 'etc/beacon/rest.yaml', mode: '0640' }],
      migrations: [
        { version: '4.1.0', name: '4.1.0/001-add-tags.pre.mjs', file: r('schema-migrations/4.1.0/001-add-tags.pre.mjs'), phase: 'pre' },
        { version: '4.1.1', name: '4.1.1/001-rename.sql', file: r('schema-migrations/4.1.1/001-rename.sql'), phase: 'main' },
        { version: '4.1.1', name: '4.1.1/002-drop-old.post.cjs', file: r('schema-migrations/4.1.1/002-drop-old.post.cjs'), phase: 'post' },
      ],
      // placeholders stay as written: the installer renders them with the site's values
      services: { order: ['rest-service', 'worker'], health: base.services.health },
      agents: { package: r('artifacts/beacon-agent-4.1.1.tgz'), version: '4.1.1', rollout: { canary: '10%', batch: 20, delay: '5s', max_failures: '5%' } },
      hooks: { preflight: r('hooks/check-disk.sh') },
      installScript: r('templates/install.sh.tmpl'),
      sampleValues: { rest_port: 8080, worker_port: 8081, db: { client: 'sqlite', connection: { filename: 'var/lib/beacon/beacon.db' } } },
    });
    // the bundle.yaml path itself is accepted too
    expect(await loadHopSpec(project.specFile)).toEqual(spec);
  } finally {
    await project.cleanup();
  }
});

test('defaults: mode 0644, agents version = to, no migrations/agents/hooks, no sample file', async () => {
  const spec = baseSpec();
  delete spec.configs[0].mode;
  delete spec.agents.rollout;
  delete spec.migrations;
  delete spec.hooks;
  delete spec.services.health;
  const files = { ...baseFiles(), 'templates/values.sample.yaml': null, 'templates/rest-service.yaml.tmpl': 'root: ${root}\nversion: ${version}\n' };
  for (const c of spec.components) c.service.exec = ['${node}', '${release}/main.js', '${component}'];
  delete spec.components[0].service.env;
  const project = await makeProject(spec, files);
  try {
    const loaded = await loadHopSpec(project.hopDir);
    expect(loaded.configs[0].mode).toBe('0644');
    expect(loaded.agents).toEqual({ package: path.join(project.root, 'artifacts/beacon-agent-4.1.1.tgz'), version: '4.1.1', rollout: {} });
    expect([loaded.migrations, loaded.hooks, loaded.services.health, loaded.sampleValues]).toEqual([[], {}, [], {}]);
  } finally {
    await project.cleanup();
  }
});

test.each([
  ['a fresh install', 'none', ['4.0.1/001-create-items.sql', '4.1.0/001-add-tags.pre.mjs', '4.1.1/001-rename.sql', '4.1.1/002-drop-old.post.cjs']],
  ['a from range', '>=4.0.0 <4.1.0', ['4.1.0/001-add-tags.pre.mjs', '4.1.1/001-rename.sql', '4.1.1/002-drop-old.post.cjs']],
])('%s selects the migrations of its hop', async (_what, from, names) => {
  const project = await makeProject({ ...baseSpec(), from });
  try {
    const spec = await loadHopSpec(project.hopDir);
    expect(spec.from).toBe(from);
    expect(spec.migrations.map((m) => m.name)).toEqual(names);
  } finally {
    await project.cleanup();
  }
});

test('"./" paths resolve against the hop folder; --artifacts and projectRoot are honoured', async () => {
  const spec = { ...baseSpec(), hooks: { preflight: './hooks/stop-cron.sh' } };
  const files = { ...baseFiles(), [`bundles/${HOP}/hooks/stop-cron.sh`]: { text: '#!/bin/sh\n', mode: 0o755 } };
  const project = await makeProject(spec, files);
  try {
    const elsewhere = path.join(project.root, 'out', 'packed');
    await mkdir(path.dirname(elsewhere), { recursive: true });
    await rename(path.join(project.root, 'artifacts'), elsewhere);
    const loaded = await loadHopSpec(project.hopDir, { artifacts: elsewhere, projectRoot: project.root });
    expect(loaded.hooks).toEqual({ preflight: path.join(project.hopDir, 'hooks/stop-cron.sh') });
    expect(loaded.components[0].package).toBe(path.join(elsewhere, 'beacon-rest-4.1.1.tgz'));
  } finally {
    await project.cleanup();
  }
});

test('a spec with 4 different mistakes reports all 4 at once, with lines', async () => {
  const spec = baseSpec();
  spec.components[0].verison = '4.1.1'; // unknown key
  spec.to = '4.1.1.0'; // bad semver
  spec.components[1].package = '${artifacts}/beacon-worker-9.9.9.tgz'; // missing package
  spec.configs[0].dest = '../etc/beacon/rest.yaml'; // dest escaping the root
  const project = await makeProject(spec);
  try {
    const err = await rejection(loadHopSpec(project.hopDir));
    expect(err.code).toBe('SPEC_INVALID');
    expect(err.exitCode).toBe(2);
    expect(err.message).toMatch(/^4 problems in .*bundle\.yaml$/);
    expect(err.problems.map((p) => p.field).sort()).toEqual(['components[0].verison', 'components[1].package', 'configs[0].dest', 'to'].sort());
    for (const p of err.problems) {
      expect(p.file).toBe(project.specFile);
      expect(p.message).toMatch(/\(line \d+\)$/);
      expect(p.hint).toBeTruthy();
    }
  } finally {
    await project.cleanup();
  }
});

test('a folder without bundle.yaml is refused with exit 2', async () => {
  const project = await makeProject();
  try {
    const err = await rejection(loadHopSpec(path.join(project.root, 'bundles')));
    expect(err.code).toBe('SPEC_NOT_FOUND');
    expect(err.exitCode).toBe(2);
    expect(err.hint).toMatch(/bundle\.yaml/);
  } finally {
    await project.cleanup();
  }
});
