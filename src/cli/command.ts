/**
 * A CLI command: how to parse it (yargs builder), how to turn the parsed options
 * into a call of a core function (run), and how to show its result to a person
 * (human). With --json the result itself is printed, so `run` returns plain data.
 */
import type { Argv } from 'yargs';
import type { Emit } from '../events.js';
import type { ExitCode } from '../errors.js';

export interface CommandContext {
  emit: Emit;
  /** the working directory commands resolve relative paths against */
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export interface CommandOutcome<R = unknown> {
  result: R;
  /** a command may succeed with a non-zero code (e.g. install rolled back: 1) */
  exitCode?: ExitCode;
}

export interface CommandDef<O = any, R = any> {
  name: string;
  /** yargs command string, e.g. 'build [hops..]' */
  command: string;
  describe: string;
  builder: (y: Argv) => Argv<any>;
  run: (options: O, ctx: CommandContext) => Promise<CommandOutcome<R>>;
  /** lines for a person; omitted lines mean "print nothing" */
  human?: (result: R, options: O) => string;
  /** with --json: the result as JSON lines instead of one document (large lists stream); undefined: one document */
  jsonLines?: (result: R, options: O) => Iterable<unknown> | undefined;
}
