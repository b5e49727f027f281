import type { Command } from "@commander-js/extra-typings";
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

/** No options (nor global options) yet: the Opts of a new command, in commander's typings. */
export type NoOptions = Record<never, never>;

/**
 * The parsed values of the options that a helper adding shared options (forgeOptions, withLimits)
 * adds, given that helper instantiated for a new command:
 * `AddedOptions<typeof withLimits<[], NoOptions, NoOptions>>`.
 */
export type AddedOptions<Add extends (cmd: Command<[], NoOptions, NoOptions>) => { opts(): unknown }> =
  ReturnType<ReturnType<Add>["opts"]>;
