import type { Logger } from "../base/logger.ts";

/** What a command may print to. main.ts passes the process streams; tests pass buffers. */
export interface CommandIO {
  stdout(text: string): void;
  stderr(text: string): void;
  logger: Logger;
  /** Whether stdout is a terminal (colour, progress bars). */
  isTTY: boolean;
}

export function bufferIO(): CommandIO & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    isTTY: false,
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    logger: { info: (m) => err.push(`${m}\n`), warn: (m) => err.push(`warning: ${m}\n`) },
  };
}
