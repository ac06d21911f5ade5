/** The bundle manifest (bundle.json): the contract between builder and installer. */
export const MANIFEST_FORMAT = 1;
export const MANIFEST_NAME = 'bundle.json';
export const SIGNATURE_NAME = 'bundle.json.sig';

export type PackageType = 'tarball' | 'deb' | 'rpm';
export type MigrationPhase = 'pre' | 'main' | 'post';

export interface FileEntry {
  sha256: string;
  size: number;
  /** octal string, e.g. "0644" */
  mode: string;
}

export interface ManifestComponent {
  name: string;
  version: string;
  type: PackageType;
  /** path inside the bundle, e.g. components/acme-api-4.1.1.tgz */
  file: string;
  /** how the service of this component is run (argv, env, templated with site values) */
  service?: ServiceDef;
}

export interface ServiceDef {
  /** argv; ${...} placeholders are rendered on the target with site values plus ${root}, ${release} */
  exec: string[];
  env?: Record<string, string>;
  /** systemd unit name when the systemd driver is used; defaults to <product>-<component> */
  unit?: string;
}

export interface ManifestConfig {
  /** path inside the bundle, e.g. configs/api.yaml.tmpl */
  template: string;
  /** path under the manager root, e.g. etc/acme/api.yaml */
  dest: string;
  mode: string;
}

export interface ManifestMigration {
  /** the version that introduced it, e.g. 4.0.1 */
  version: string;
  /** stable name recorded in uphop_migrations, e.g. 4.0.1/001-create-tags.mjs */
  name: string;
  /** path inside the bundle */
  file: string;
  phase: MigrationPhase;
}

export interface HealthCheck {
  name: string;
  http?: string;
  /** status expected, default 200 */
  status?: number;
  /** substring or /regex/ the body must match */
  body?: string;
  tcp?: string;
  command?: string[];
  /** e.g. "60s"; kept as written, parsed by the installer */
  timeout?: string;
}

export interface RolloutPolicy {
  canary?: string | number;
  batch?: number;
  delay?: string;
  max_failures?: string | number;
  timeout?: string;
  retries?: number;
  /** agents in flight at once (default: batch) */
  concurrency?: number;
  /** stop after the canary until `uphop agents continue` */
  pause?: boolean;
  /** this many failures in a row stop the rollout (default: off) */
  max_consecutive_failures?: number;
}

export interface Manifest {
  format: number;
  product: string;
  /** installed version accepted: exact version, semver range, or "none" for a fresh install */
  from: string;
  to: string;
  /** ISO date from SOURCE_DATE_EPOCH */
  created: string;
  platform: { os: string; arch: string; node: string; modules: string };
  components: ManifestComponent[];
  configs: ManifestConfig[];
  migrations: ManifestMigration[];
  services: { order: string[]; health: HealthCheck[] };
  agents?: { file: string; version: string; rollout: RolloutPolicy };
  hooks: Record<string, string>;
  /** for `uphop test-path`: tables the product's services keep writing (their rows are not compared after a rollback) */
  test_path?: { ignore_data: string[] };
  /** fingerprint of the key that signed bundle.json (claimed; `verify --trust` proves it) */
  signer?: string;
  /** every other file in the bundle (all but bundle.json and bundle.json.sig) */
  files: Record<string, FileEntry>;
}

/** the top folder name and file name of a bundle */
export const bundleId = (m: Pick<Manifest, 'product' | 'from' | 'to'>) => `${m.product}-${m.from}-to-${m.to}`;
export const bundleFileName = (m: Pick<Manifest, 'product' | 'from' | 'to'>) => `${bundleId(m)}.tar.gz`;
