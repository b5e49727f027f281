import type { WiringContext } from "./context.ts";

/** leaderboard build, report, drift. */
export function wireLeaderboard({ program, io, exit }: WiringContext): void {
  program
    .command("leaderboard")
    .description("public leaderboards built from the governance repository")
    .command("build")
    .description("render static pages (HTML, CSS, inline SVG), leaderboard.json and CSV files")
    .argument("[root]", "governance repository root", ".")
    .requiredOption("--out <dir>", "output folder (replaced when it holds a previous build)")
    .option("--allow-unsigned", "preview: include results whose signature does not verify, marked unverified")
    .option("--commit <sha>", "the governance commit to record (default: git HEAD of root)")
    .action(async (root, opts) => {
      const { leaderboardBuildCommand } = await import("../commands/leaderboard-build.ts");
      exit(
        await leaderboardBuildCommand(
          {
            root,
            out: opts.out,
            allowUnsigned: Boolean(opts.allowUnsigned),
            commit: opts.commit,
            cwd: process.cwd(),
          },
          io,
        ),
      );
    });

  program
    .command("report")
    .description("write a self-contained HTML evidence file for one model on one benchmark")
    .argument("[root]", "governance repository root", ".")
    .requiredOption("--benchmark <id>", "the benchmark")
    .requiredOption("--model <id>", "the model")
    .requiredOption("--out <file>", "the HTML file to write")
    .option("--allow-unsigned", "include results whose signature does not verify, marked unverified")
    .option("--commit <sha>", "the governance commit to record (default: git HEAD of root)")
    .action(async (root, opts) => {
      const { reportCommand } = await import("../commands/report.ts");
      exit(
        await reportCommand(
          {
            root,
            benchmark: opts.benchmark,
            model: opts.model,
            out: opts.out,
            allowUnsigned: Boolean(opts.allowUnsigned),
            commit: opts.commit,
            cwd: process.cwd(),
          },
          io,
        ),
      );
    });

  program
    .command("drift")
    .description("check a benchmark's results for drift; exit 1 when a drop crosses its declared max_drop")
    .argument("[root]", "governance repository root", ".")
    .requiredOption("--benchmark <id>", "the benchmark")
    .option("--json", "print the drift series and alerts as JSON")
    .option("--allow-unsigned", "include results whose signature does not verify")
    .action(async (root, opts) => {
      const { driftCommand } = await import("../commands/drift.ts");
      exit(
        await driftCommand(
          {
            root,
            benchmark: opts.benchmark,
            json: Boolean(opts.json),
            allowUnsigned: Boolean(opts.allowUnsigned),
            cwd: process.cwd(),
          },
          io,
        ),
      );
    });
}
