import type { Command } from "commander";
import type { CommandIO } from "../commands/io.ts";

/** What a wiring module gets: the program to add commands to, the IO, and how to set the exit code. */
export interface WiringContext {
  program: Command;
  io: CommandIO;
  /** Raise the process exit code (never lowers it). */
  exit(code: number): void;
}

/**
 * A wiring module adds one command group. It imports only commander and types at the top, and
 * its command implementations lazily (`await import(...)` inside `.action`), so `fedeval --version`
 * starts as fast as node itself.
 */
export type Wiring = (ctx: WiringContext) => void;
