/**
 * The CLI entry: builds the program from the wiring modules, runs it, and is the one place
 * where errors are caught: commander's own (already printed), and the rest written as
 * base/error-output.ts maps them.
 */
import { Command, CommanderError } from "@commander-js/extra-typings";
import { errorOutput } from "./base/error-output.ts";
import { FEDEVAL_VERSION } from "./base/version.ts";
import type { CommandIO } from "./commands/io.ts";
import type { Wiring } from "./wiring/context.ts";
import { wireDemo } from "./wiring/demo.ts";
import { wireGovernance } from "./wiring/governance.ts";
import { wireLeaderboard } from "./wiring/leaderboard.ts";
import { wireSiteRun } from "./wiring/site-run.ts";
import { wireSubmission } from "./wiring/submission.ts";

// wiring modules: one import above and one entry below per command group

const WIRING: Wiring[] = [wireGovernance, wireSiteRun, wireLeaderboard, wireSubmission, wireDemo];

/** A progress line is redrawn in place (terminal only) and cleared before anything else is written. */
let progressShown = false;
const write = (stream: NodeJS.WriteStream, text: string) => {
  if (progressShown) process.stderr.write("\r\x1b[2K");
  progressShown = false;
  stream.write(text);
};
const io: CommandIO = {
  stdout: (t) => write(process.stdout, t),
  stderr: (t) => write(process.stderr, t),
  isTTY: Boolean(process.stdout.isTTY),
  logger: {
    info: (m) => write(process.stderr, `${m}\n`),
    warn: (m) => write(process.stderr, `warning: ${m}\n`),
    progress: process.stderr.isTTY
      ? (m) => {
          progressShown = true;
          process.stderr.write(`\r\x1b[2K${m}`);
        }
      : undefined,
  },
};

function exit(code: number): void {
  if (code > ((process.exitCode as number | undefined) ?? 0)) process.exitCode = code;
}

const program = new Command("fedeval")
  .description("Federated evaluation of medical AI models, coordinated through a Git repository")
  .version(FEDEVAL_VERSION, "-V, --version")
  .showHelpAfterError()
  .exitOverride();
for (const wire of WIRING) wire({ program, io, exit });

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // help and version exit 0; usage errors exit 2 (commander already printed the message)
    exit(e.exitCode === 0 ? 0 : 2);
  } else {
    const { message, hint, exitCode } = errorOutput(e);
    io.stderr(`fedeval: ${message}\n${hint ? `  what to do: ${hint}\n` : ""}`);
    exit(exitCode);
  }
}
