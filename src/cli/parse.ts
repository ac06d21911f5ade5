/**
 * Argument parsing only: turns argv into { command, options } without running
 * anything, so parsing can be tested on its own, table-driven.
 */
import yargs from 'yargs';
import { usageError } from '../errors.js';
import type { CommandDef } from './command.js';

export interface Parsed {
  command?: CommandDef;
  options: Record<string, unknown>;
  /** --help / --version printed text instead of a command */
  output?: string;
}

export async function parseArgs(argv: string[], commands: CommandDef[], version = '0.0.0'): Promise<Parsed> {
  let chosen: CommandDef | undefined;
  let arrays = new Set<string>();
  let output = '';
  const y = yargs(argv)
    .scriptName('uphop')
    .usage('uphop <command> [options]\n\nSelf-contained, version-hop-specific upgrade bundles.')
    .option('json', { type: 'boolean', default: false, describe: 'print machine-readable results (JSON lines for progress)' })
    .option('verbose', { type: 'boolean', default: false, describe: 'add detail to errors and progress' })
    .strict()
    .demandCommand(1, 'Name a command: uphop --help lists them.')
    .recommendCommands()
    .exitProcess(false)
    .version(version)
    .wrap(Math.min(100, process.stdout.columns || 100))
    .fail((msg, err) => {
      throw err ?? usageError('USAGE', tidy(msg), 'Run uphop <command> --help for the options.');
    });
  for (const def of commands) {
    y.command(
      def.command,
      def.describe,
      (yy) => {
        const built = def.builder(yy);
        // getOptions is public in yargs 18 but missing from @types/yargs 17
        arrays = new Set((built as unknown as { getOptions(): { array: string[] } }).getOptions().array);
        return built;
      },
      () => {
        chosen = def;
      },
    );
  }
  const options = (await y.parseAsync(argv, {}, (_err, _argv, out) => {
    output = out;
  })) as Record<string, unknown>;
  if (!chosen) return { options, output };
  refuseRepeated(options, arrays);
  return { command: chosen, options };
}

/** yargs names an unknown --some-flag twice (some-flag, someFlag): keep the spelling the user typed */
function tidy(msg: string): string {
  const m = /^(Unknown arguments?): (.*)$/.exec(msg);
  if (!m) return msg;
  const names = m[2].split(', ');
  const dashed = new Set(names.filter((n) => n.includes('-')).map((n) => n.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())));
  const kept = names.filter((n) => !dashed.has(n));
  return `${kept.length > 1 ? 'Unknown arguments' : 'Unknown argument'}: ${kept.join(', ')}`;
}

/** `--values a --values b` would reach the command as an array: say which one to keep instead */
function refuseRepeated(options: Record<string, unknown>, arrays: Set<string>) {
  for (const [key, value] of Object.entries(options)) {
    // yargs keeps each option under its dashed and its camelCase name: check the dashed one
    if (key === '_' || /[A-Z]/.test(key) || !Array.isArray(value) || arrays.has(key)) continue;
    throw usageError('USAGE', `--${key} was given ${value.length} times.`, `Give --${key} once.`);
  }
}
