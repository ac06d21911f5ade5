/** Running external tools (systemctl, dpkg, rpm) with bounded output and one-sentence errors. */
import { spawn, type SpawnOptions } from 'node:child_process';
import type { Readable } from 'node:stream';
import { failure, isUphopError } from '../errors.js';

const OUTPUT_CAP = 64 * 1024;

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** keep the tail: the end of a tool's output is where the reason usually is */
function capped(): { push(b: Buffer): void; text(): string } {
  let buf = Buffer.alloc(0);
  return {
    push(b) {
      buf = Buffer.concat([buf, b]);
      if (buf.length > OUTPUT_CAP) buf = buf.subarray(buf.length - OUTPUT_CAP);
    },
    text: () => buf.toString('utf8'),
  };
}

/** run argv; never rejects for a non-zero exit (callers decide), rejects when it cannot start */
export function run(argv: string[], opts: SpawnOptions & { input?: NodeJS.ReadableStream } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const { input, ...spawnOpts } = opts;
    const child = spawn(argv[0], argv.slice(1), { ...spawnOpts, stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    const out = capped();
    const err = capped();
    child.stdout!.on('data', out.push);
    child.stderr!.on('data', err.push);
    if (input && child.stdin) {
      child.stdin.on('error', () => {}); // the tool may exit early; its exit status says why
      input.pipe(child.stdin);
    }
    child.once('error', (e: NodeJS.ErrnoException) => reject(failure('TOOL_NOT_RUNNABLE', `Cannot run ${argv[0]}: ${e.code ?? e.message}.`, `Check that ${argv[0]} is installed and on PATH.`, e)));
    child.once('close', (code, signal) => resolve({ code, signal, stdout: out.text(), stderr: err.text() }));
  });
}

/** the last non-empty lines of a tool's output, for error messages */
export const tailLines = (text: string, n = 5) =>
  text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter(Boolean)
    .slice(-n)
    .join('\n');

/** run argv and throw `code` unless it exits 0 */
export async function runChecked(argv: string[], code: string, what: string, opts: SpawnOptions = {}): Promise<RunResult> {
  const r = await run(argv, opts);
  if (r.code !== 0) {
    const why = tailLines(r.stderr || r.stdout, 3) || `exit ${r.code ?? r.signal}`;
    throw failure(code, `${what} failed: ${why}`, `Run \`${argv.join(' ')}\` by hand to see the full output.`);
  }
  return r;
}

/**
 * Stream a tool's stdout (dpkg-deb --fsys-tarfile, rpm2cpio); `exited` rejects with
 * `code` when the tool fails, because a truncated stream can look like a short but valid archive.
 */
export function toolOutput(argv: string[], code: string, what: string): { stdout: Readable; exited: Promise<void> } {
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  const err = capped();
  child.stderr!.on('data', err.push);
  const exited = new Promise<void>((resolve, reject) => {
    child.once('error', (e: NodeJS.ErrnoException) => reject(failure('TOOL_NOT_RUNNABLE', `Cannot run ${argv[0]}: ${e.code ?? e.message}.`, `Install ${argv[0]} or use a tarball package.`, e)));
    child.once('close', (c, signal) =>
      c === 0 ? resolve() : reject(failure(code, `${what} failed: ${tailLines(err.text(), 3) || `exit ${c ?? signal}`}`, `Run \`${argv.join(' ')}\` by hand to see the full output.`)),
    );
  });
  return { stdout: child.stdout!, exited };
}

/** a stream consumer fed by a tool: its refusal of the content wins over the tool's broken pipe */
export async function consumeToolOutput(tool: { exited: Promise<void> }, consumed: Promise<void>, refusalCodes: string[]): Promise<void> {
  const [c, t] = await Promise.allSettled([consumed, tool.exited]);
  if (c.status === 'rejected' && isUphopError(c.reason) && refusalCodes.includes(c.reason.code)) throw c.reason;
  if (t.status === 'rejected') throw t.reason;
  if (c.status === 'rejected') throw c.reason;
}
