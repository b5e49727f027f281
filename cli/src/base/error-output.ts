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

/**
 * File-system errors that are the machine's state, not fedeval's bug: what they mean (with the
 * path) and what to do. Nothing approved is lost on them: outbox entries are written atomically.
 */
const FILE_SYSTEM: Record<string, (path: string) => { message: string; hint: string }> = {
  ENOSPC: (path) => ({
    message: `no space left on the disk holding ${path}`,
    hint: "free space there (`df -h`), or set FEDEVAL_HOME to a folder on a disk with room; then run the same command again (nothing written so far is lost or half-written)",
  }),
  EDQUOT: (path) => ({
    message: `disk quota exceeded while writing ${path}`,
    hint: "free space in your quota, or set FEDEVAL_HOME to a folder with room; then run the same command again",
  }),
  EROFS: (path) => ({
    message: `${path} is on a read-only file system`,
    hint: "set FEDEVAL_HOME to a writable folder (or remount that disk read-write); then run the same command again",
  }),
  EACCES: (path) => ({
    message: `permission denied: ${path}`,
    hint: "fedeval needs to read and write there: fix the folder's owner or mode, or set FEDEVAL_HOME to a folder of yours",
  }),
};
FILE_SYSTEM.EPERM = FILE_SYSTEM.EACCES as (typeof FILE_SYSTEM)[string];

/** The folder to name for a file-system error: a temporary file's folder rather than its random name. */
function pathOf(e: NodeJS.ErrnoException): string {
  const path = e.path ?? "";
  const name = path.split("/").pop() ?? "";
  return name.includes(".tmp-") ? path.slice(0, -name.length - 1) : path;
}

/** Each line of a message made printable (a message listing problems has a line each). */
function printableLines(message: string): string {
  return message.split("\n").map(printable).join("\n");
}

/** What `e`, thrown out of a command or an action mode, shows the user. */
export function errorOutput(e: unknown): ErrorOutput {
  const fs = e instanceof Error ? FILE_SYSTEM[(e as NodeJS.ErrnoException).code ?? ""] : undefined;
  if (fs && (e as NodeJS.ErrnoException).syscall) {
    const { message, hint } = fs(pathOf(e as NodeJS.ErrnoException) || "a file");
    return { exitCode: 2, message: printable(message), hint, internal: false };
  }
  // the lines a message has, whatever a file name or value quoted in them holds
  if (e instanceof UserError)
    return { exitCode: e.exitCode, message: printableLines(e.message), internal: false };
  if (e instanceof ExternalError) {
    const hint = e.hint ? { hint: printable(e.hint) } : {};
    return { exitCode: 2, message: printableLines(e.message), ...hint, internal: false };
  }
  return {
    exitCode: 70,
    message: `internal error (a bug in fedeval ${FEDEVAL_VERSION}; please report it with what follows)\n${(e as Error | undefined)?.stack ?? String(e)}`,
    internal: true,
  };
}
