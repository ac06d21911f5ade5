/**
 * Where drivers put things under the manager root (DESIGN.md "Manager layout").
 * Names come from manifests, so every segment is checked before it touches a path.
 */
import path from 'node:path';
import { usageError } from '../errors.js';

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._+~-]*$/;

/** refuse names that could climb out of their folder (`..`, `/`, empty) */
export function safeSegment(kind: string, value: string): string {
  if (!SEGMENT.test(value) || value.includes('..')) {
    throw usageError('BAD_NAME', `The ${kind} "${value}" is not a safe file name.`, `Use letters, digits, ".", "_", "+", "~" or "-" for the ${kind}.`);
  }
  return value;
}

export interface ComponentRef {
  product: string;
  name: string;
}

export const componentDir = (root: string, c: ComponentRef) => path.join(root, 'opt', safeSegment('product', c.product), safeSegment('component', c.name));
export const releasesDir = (root: string, c: ComponentRef) => path.join(componentDir(root, c), 'releases');
export const releaseDir = (root: string, c: ComponentRef, version: string) => path.join(releasesDir(root, c), safeSegment('version', version));
export const currentLink = (root: string, c: ComponentRef) => path.join(componentDir(root, c), 'current');

/** process driver files: var/log/<product>/<name>.log and var/run/<product>/<name>.pid */
export const serviceLogFile = (root: string, product: string, name: string) => path.join(root, 'var', 'log', safeSegment('product', product), `${safeSegment('service', name)}.log`);
export const servicePidFile = (root: string, product: string, name: string) => path.join(root, 'var', 'run', safeSegment('product', product), `${safeSegment('service', name)}.pid`);

/** system-mode (dpkg/rpm on root /) keeps the installed package files here, so an undo can reinstall the previous one */
export const packageCacheDir = (root: string, c: ComponentRef) => path.join(root, 'var', 'lib', 'uphop', 'packages', safeSegment('product', c.product), safeSegment('component', c.name));
