/**
 * Three kinds of error, caught only at the top (cli/src/main.ts, action/src/main.ts):
 * - UserError: the user's input is wrong; a clear one-line message, exit 1 (or `exitCode`).
 * - ExternalError: an outside system failed (Docker, git, GitHub, the file system); wrapped
 *   with what to do next.
 * - anything else is a bug in fedeval, and is reported as such.
 */
export class UserError extends Error {
  override name = "UserError";
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export class ExternalError extends Error {
  override name = "ExternalError";
  constructor(
    message: string,
    /** What the user can do about it, one sentence. */
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Usage errors (bad flags, missing arguments) exit 2, like `fedeval validate` documents. */
export class UsageError extends UserError {
  override name = "UsageError";
  constructor(message: string) {
    super(message, 2);
  }
}
