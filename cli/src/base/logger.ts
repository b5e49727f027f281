/** Where library code reports progress. Commands pass one in; library code never prints. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  /** Progress that may be redrawn on a terminal (a bar); may be dropped when not a TTY. */
  progress?(message: string): void;
}

export const silentLogger: Logger = { info() {}, warn() {} };

/** Collects messages, for tests. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(m), warn: (m) => lines.push(`warning: ${m}`) };
}
