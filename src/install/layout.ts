/** uphop's own files on a manager (DESIGN.md "Manager layout"), all under --root. */
import path from 'node:path';

export interface Layout {
  root: string;
  state: string;
  journalDir: string;
  journal(bundleId: string): string;
  backups(bundleId: string): string;
  /** the verified, extracted bundle kept for resume and rollback */
  bundle(bundleId: string): string;
  bundlesDir: string;
  lock: string;
  /** held by an agent rollout: two at once would upgrade the same agents twice */
  agentsLock: string;
  /** every agent outcome of the rollouts to one version */
  agentsProgress(version: string): string;
  etc(product: string): string;
  values(product: string): string;
}

export function layout(root: string): Layout {
  const lib = path.join(root, 'var', 'lib', 'uphop');
  return {
    root,
    state: path.join(lib, 'state.json'),
    journalDir: path.join(lib, 'journal'),
    journal: (id) => path.join(lib, 'journal', `${id}.jsonl`),
    backups: (id) => path.join(lib, 'backups', id),
    bundle: (id) => path.join(lib, 'bundles', id),
    bundlesDir: path.join(lib, 'bundles'),
    lock: path.join(root, 'var', 'lock', 'uphop.lock'),
    agentsLock: path.join(root, 'var', 'lock', 'uphop-agents.lock'),
    agentsProgress: (version) => path.join(lib, 'agents', `${version}.json`),
    etc: (product) => path.join(root, 'etc', product),
    values: (product) => path.join(root, 'etc', product, 'values.yaml'),
  };
}
