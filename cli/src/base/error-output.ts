/**
 * What an error that reached the top becomes, the same for both shells: each writes it its own
 * way (the CLI: `fedeval: message` and `  what to do: hint` on stderr, then the exit code; the
 * action: a failed step).
 */
import { ExternalError, UserError } from "./errors.ts";
import { printable } from "./printable.ts";
import { FEDEVAL_VERSION } from "./version.ts";

/** An error as the user sees it. */
export interface ErrorOutput {
  /** UserError: its own (1, 2 for usage); ExternalError: 2; a bug: 70 (EX_SOFTWARE). */
  exitCode: number;
  /** One line for the user's and the outside world's errors; for a bug, a line and the stack. */
  message: string;
  /** What the user can do about it (an ExternalError's hint). */
  hint?: string;
  /** A bug in fedeval rather than a problem with the input or an outside system. */
  internal: boolean;
}

/** What `e`, thrown out of a command or an action mode, shows the user. */
export function errorOutput(e: unknown): ErrorOutput {
  // one line each, whatever a file name or value quoted in them holds
  if (e instanceof UserError) return { exitCode: e.exitCode, message: printable(e.message), internal: false };
  if (e instanceof ExternalError) {
    const hint = e.hint ? { hint: printable(e.hint) } : {};
    return { exitCode: 2, message: printable(e.message), ...hint, internal: false };
  }
  return {
    exitCode: 70,
    message: `internal error (a bug in fedeval ${FEDEVAL_VERSION}; please report it with what follows)\n${(e as Error | undefined)?.stack ?? String(e)}`,
    internal: true,
  };
}
