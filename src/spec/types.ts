/**
 * A hop spec (bundles/<from>-to-<to>/bundle.yaml) after loading and validation.
 * The YAML format is the contract of DESIGN.md; `service`, `sample_values` and
 * migration phases are uphop extensions documented in the README.
 */
import type { HealthCheck, MigrationPhase, PackageType, RolloutPolicy, ServiceDef } from '../bundle/manifest.js';
import type { TestPathSpec } from './validate-test-path.js';

export interface SpecComponent {
  name: string;
  version: string;
  type: PackageType;
  /** absolute path of the package file after ${artifacts} substitution (a folder when `folder`) */
  package: string;
  /** the package is a folder (type tarball) that uphop packs at build time */
  folder?: boolean;
  service?: ServiceDef;
}

export interface SpecConfig {
  /** absolute path of the template file */
  template: string;
  /** path under the manager root, relative, e.g. etc/acme/api.yaml */
  dest: string;
  mode: string;
}

export interface SpecMigration {
  version: string;
  /** "<version>/<file name>", stable across bundles: recorded in uphop_migrations */
  name: string;
  /** absolute path */
  file: string;
  phase: MigrationPhase;
}

export interface HopSpec {
  /** absolute path of the bundle.yaml it came from */
  file: string;
  /** the hop folder and the project root (the folder holding bundles/) */
  hopDir: string;
  projectRoot: string;
  product: string;
  from: string; // exact version, semver range, or "none"
  to: string;
  components: SpecComponent[];
  configs: SpecConfig[];
  migrations: SpecMigration[];
  services: { order: string[]; health: HealthCheck[] };
  agents?: { package: string; version: string; rollout: RolloutPolicy };
  /** hook name -> absolute path of the script */
  hooks: Record<string, string>;
  /** what `uphop test-path` must know: tables whose rows the product's services keep changing */
  testPath?: TestPathSpec;
  /** absolute path of the product's install.sh template (install_script); absent: uphop's own */
  installScript?: string;
  /** sample site values used to render-check templates */
  sampleValues: Record<string, unknown>;
}
