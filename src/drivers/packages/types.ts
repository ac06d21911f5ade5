/** What the installer's steps ask of a component package; stage, activate and undo are separate steps. */
import type { PackageType } from '../../bundle/manifest.js';
import type { Emit } from '../../events.js';
import type { ComponentRef } from '../layout.js';

export type { ComponentRef } from '../layout.js';

export interface ComponentPackage extends ComponentRef {
  version: string;
  type: PackageType;
  /** absolute path of the package file */
  file: string;
  /** sha256 of the package (from the manifest): a release staged from another package is unpacked again */
  sha256?: string;
}

export interface Activation {
  /** the version `current` pointed to before; undefined = there was none (fresh install) */
  previous?: string;
  /** false when it was already active (a re-run after a crash): nothing moved this time */
  changed: boolean;
}

export interface PackageDriver {
  /** unpack/install the version without activating it (where the type allows); re-running is a no-op */
  stage(c: ComponentPackage): Promise<void>;
  /** make the staged version the active one; idempotent and returns the same `previous` when re-run */
  activate(c: ComponentPackage): Promise<Activation>;
  /** undo of activate: make `previous` active again, or none when undefined; a no-op when c is not active */
  deactivate(c: ComponentPackage, previous?: string): Promise<void>;
  /** delete the oldest versions beyond `keep`, never the active one nor those in `protect`; returns the deleted */
  prune(component: ComponentRef, keep: number, protect?: string[]): Promise<string[]>;
  /** the active version, if any */
  current(component: ComponentRef): Promise<string | undefined>;
}

export interface PackageDriverOptions {
  root: string;
  /** "extract": unpack into opt/<product>/<name>/releases (default when root is not "/");
   *  "system": dpkg -i / rpm -U on the host (default when root is "/"). Tarballs always extract. */
  mode?: 'extract' | 'system';
  emit?: Emit;
}

/** unpack the package `file` into the existing empty folder `dest` */
export type Extractor = (file: string, dest: string) => Promise<void>;
