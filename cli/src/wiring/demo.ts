import { Option } from "@commander-js/extra-typings";
import type { WiringContext } from "./context.ts";

/** `fedeval demo`: the whole federated evaluation on one machine. */
export function wireDemo({ program, io, exit }: WiringContext): void {
  program
    .command("demo")
    .description("play every role of a federated evaluation on this machine and build the leaderboard")
    .option(
      "--dir <dir>",
      "folder for the demo (replaced when it holds an earlier demo; default: a temp folder)",
    )
    .addOption(
      new Option("--runner <runner>", "docker when an engine is reachable, else process")
        .choices(["auto", "docker", "process"])
        .default("auto"),
    )
    .option("--export <dir>", "also copy the final governance tree (sites/, benchmarks/) into this folder")
    .action(async (opts) => {
      const { demoCommand } = await import("../commands/demo.ts");
      exit(
        await demoCommand(
          { dir: opts.dir, runner: opts.runner, exportTo: opts.export, cwd: process.cwd() },
          io,
        ),
      );
    });
}
