/**
 * Fault injection for crash tests: with UPHOP_CRASH_AT=<point> the installer kills
 * itself with SIGKILL when it reaches that point, as a power cut would. Points: a
 * step's name (right after its journal "begin"), "undo <step>", "done" (after the
 * journal's final record), "rolled back" (after a rollback's commit, before its
 * final record), and the instants before the journal begins (see acquire.ts).
 */
export function crashPoint(name: string): void {
  if (process.env.UPHOP_CRASH_AT === name) process.kill(process.pid, 'SIGKILL');
}
