/**
 * One command invocation: parse, run the core function, print the result or the
 * error, and return the exit code. Never exits the process itself (main.ts does).
 */
import { EXIT, isUphopError, messageOf, type ExitCode, type UphopError } from '../errors.js';
import { parseArgs } from './parse.js';
import { createRenderer, type Sink } from './render.js';
import type { CommandDef } from './command.js';
import { VERSION } from '../version.js';

export interface Io {
  out: Sink;
  err: Sink;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export async function run(argv: string[], io: Io, commands: CommandDef[]): Promise<ExitCode> {
  const json = argv.includes('--json');
  const verbose = argv.includes('--verbose');
  try {
    const parsed = await parseArgs(argv, commands, VERSION);
    if (!parsed.command) {
      if (parsed.output) io.out.write(parsed.output + '\n');
      return EXIT.ok;
    }
    const emit = createRenderer(io.err, { json, verbose });
    const ctx = { emit, cwd: io.cwd ?? process.cwd(), env: io.env ?? process.env };
    const { result, exitCode } = await parsed.command.run(parsed.options, ctx);
    const lines = json ? parsed.command.jsonLines?.(result, parsed.options) : undefined;
    if (lines) for (const line of lines) io.out.write(JSON.stringify(line) + '\n');
    else if (json) io.out.write(JSON.stringify(result, null, 2) + '\n');
    else {
      const text = parsed.command.human?.(result, parsed.options);
      if (text) io.out.write(text.endsWith('\n') ? text : text + '\n');
    }
    return exitCode ?? EXIT.ok;
  } catch (e) {
    return reportError(e, io.err, { json, verbose });
  }
}

function reportError(e: unknown, err: Sink, opts: { json: boolean; verbose: boolean }): ExitCode {
  if (!isUphopError(e)) {
    // A bug, not a user error: still one sentence, the stack only with --verbose.
    const stack = e instanceof Error ? e.stack : undefined;
    if (opts.json) err.write(JSON.stringify({ type: 'error', code: 'INTERNAL', message: messageOf(e) }) + '\n');
    else err.write(`error: ${messageOf(e)}\n  hint: this is a bug in uphop; rerun with --verbose and report the output.\n`);
    if (opts.verbose && stack) err.write(stack + '\n');
    return EXIT.failed;
  }
  const u = e as UphopError;
  if (opts.json) {
    err.write(JSON.stringify({ type: 'error', code: u.code, message: u.message, hint: u.hint, problems: u.problems.length ? u.problems : undefined, exitCode: u.exitCode }) + '\n');
    return u.exitCode;
  }
  err.write(`error [${u.code}]: ${u.message}\n`);
  for (const p of u.problems) {
    const where = [p.file, p.field].filter(Boolean).join(': ');
    err.write(`  - ${where ? where + ': ' : ''}${p.message}${p.hint ? ` (fix: ${p.hint})` : ''}\n`);
  }
  if (u.hint) err.write(`  hint: ${u.hint}\n`);
  if (opts.verbose && u.detail) err.write(`  detail: ${u.detail}\n`);
  if (opts.verbose && u.cause) err.write(`  cause: ${messageOf(u.cause)}\n`);
  return u.exitCode;
}
