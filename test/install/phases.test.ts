/** Which phase a migration runs in: pure logic, table-driven. */
import { describe, expect, it } from 'vitest';
import { effectivePhase } from '../../src/install/phases.js';
import type { ManifestMigration, MigrationPhase } from '../../src/bundle/manifest.js';

const mig = (version: string, phase: MigrationPhase): ManifestMigration => ({ version, phase, name: `${version}/x`, file: 'migrations/x' });
const hop = (from: string, ...ms: ManifestMigration[]) => ({ from, migrations: ms });

const cases: [string, ReturnType<typeof hop>, ManifestMigration, MigrationPhase][] = [
  ['one version: pre stays pre', hop('4.0.1', mig('4.1.1', 'pre')), mig('4.1.1', 'pre'), 'pre'],
  ['one version: post stays post', hop('4.0.1', mig('4.1.1', 'post')), mig('4.1.1', 'post'), 'post'],
  ['fresh install: pre runs in main', hop('none', mig('3.4.2', 'main'), mig('4.1.1', 'pre')), mig('4.1.1', 'pre'), 'main'],
  ['fresh install: post runs in main', hop('none', mig('4.2.0', 'post')), mig('4.2.0', 'post'), 'main'],
  ['several versions: first version pre stays', hop('4.0.1', mig('4.1.1', 'pre'), mig('4.2.0', 'pre')), mig('4.1.1', 'pre'), 'pre'],
  ['several versions: later pre runs in main', hop('4.0.1', mig('4.1.1', 'pre'), mig('4.2.0', 'pre')), mig('4.2.0', 'pre'), 'main'],
  ['several versions: earlier post runs in main', hop('4.0.1', mig('4.1.1', 'post'), mig('4.2.0', 'post')), mig('4.1.1', 'post'), 'main'],
  ['several versions: last post stays', hop('4.0.1', mig('4.1.1', 'post'), mig('4.2.0', 'post')), mig('4.2.0', 'post'), 'post'],
  ['semver order, not text order', hop('4.0.1', mig('4.10.0', 'pre'), mig('4.9.0', 'pre')), mig('4.9.0', 'pre'), 'pre'],
];

describe('effectivePhase', () => {
  it.each(cases)('%s', (_name, manifest, m, expected) => expect(effectivePhase(m, manifest)).toBe(expected));
});
