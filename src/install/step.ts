/** An install step: one unit of change with its undo, journaled by the engine. */
import type { InstallContext } from './context.js';

export interface InstallStep {
  name: string;
  /** does the work; must be safe to run again after a crash in its middle. Returns a detail line. */
  apply(ctx: InstallContext): Promise<string | void>;
  /** reverses apply, also a partial one; must be safe to run again */
  undo?(ctx: InstallContext): Promise<string | void>;
}
