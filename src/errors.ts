/**
 * Every failure a user can cause or meet is a UphopError: a stable code to script
 * against, one sentence saying what happened, a hint saying how to fix it, and the
 * exit code of DESIGN.md. Only src/cli/main.ts turns these into process exits.
 */
export type ExitCode = 0 | 1 | 2 | 3;

export const EXIT = {
  ok: 0,
  failed: 1, // the operation failed (rolled back where that applies)
  usage: 2, // bad usage or bad input, nothing changed
  refused: 3, // refused by a check: version mismatch, signature, drift, lock held
} as const;

export interface Problem {
  file?: string;
  field?: string;
  message: string;
  hint?: string;
}

export class UphopError extends Error {
  readonly code: string;
  readonly hint?: string;
  readonly exitCode: ExitCode;
  /** several problems found at once (spec validation reports all of them) */
  readonly problems: Problem[];
  /** extra detail shown with --verbose, never secrets */
  readonly detail?: string;

  constructor(code: string, message: string, opts: { hint?: string; exitCode?: ExitCode; problems?: Problem[]; detail?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'UphopError';
    this.code = code;
    this.hint = opts.hint;
    this.exitCode = opts.exitCode ?? EXIT.failed;
    this.problems = opts.problems ?? [];
    this.detail = opts.detail;
  }
}

/** bad usage or input: exit 2 */
export const usageError = (code: string, message: string, hint?: string, problems?: Problem[]) => new UphopError(code, message, { hint, exitCode: EXIT.usage, problems });

/** refused by a check: exit 3 */
export const refusal = (code: string, message: string, hint?: string, extra: { problems?: Problem[]; detail?: string } = {}) =>
  new UphopError(code, message, { hint, exitCode: EXIT.refused, ...extra });

/** the operation failed: exit 1 */
export const failure = (code: string, message: string, hint?: string, cause?: unknown) => new UphopError(code, message, { hint, exitCode: EXIT.failed, cause });

export const isUphopError = (e: unknown): e is UphopError => e instanceof UphopError;

/** the message of anything thrown, for wrapping foreign errors into one sentence */
export const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));
