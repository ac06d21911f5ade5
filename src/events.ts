/**
 * Core modules never print: they emit events. The CLI renders them as progress
 * bars / step lines on a TTY and as JSON lines with --json.
 */
export type UphopEvent =
  | { type: 'progress'; task: string; done: number; total?: number; unit?: 'bytes' | 'items' }
  | { type: 'step'; step: string; status: 'begin' | 'end' | 'skip' | 'fail' | 'undo'; ms?: number; detail?: string }
  | { type: 'log'; level: 'info' | 'warn'; message: string }
  | { type: string; [key: string]: unknown };

export type Emit = (event: UphopEvent) => void;

export const silent: Emit = () => {};
