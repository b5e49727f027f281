import { Option } from "@commander-js/extra-typings";
import type { WiringContext } from "./context.ts";

/** validate, container inspect, codeowners, init. */
export function wireGovernance({ program, io, exit }: WiringContext): void {
  program
    .command("validate")
    .description("validate a governance repository (schemas and cross-file rules)")
    .argument("[root]", "governance repository root", ".")
    .option("--json", "print a machine-readable report")
    .option("--changed-since <rev>", "report only problems in files changed since this git revision")
    .option(
      "--author <login>",
      "with --changed-since: check that this GitHub login may touch the changed paths",
    )
    .addOption(
      new Option("--format <format>", "output format").choices(["text", "json", "github"]).default("text"),
    )
    .action(async (root, opts) => {
      const { validateCommand } = await import("../commands/validate.ts");
      exit(
        await validateCommand(
          {
            root,
            json: opts.json,
            format: opts.format,
            changedSince: opts.changedSince,
            author: opts.author,
          },
          io,
        ),
      );
    });

  program
    .command("container")
    .description("container definitions (MedPerf container_config.yaml, MLCube mlcube.yaml)")
    .command("inspect")
    .description("print the normalized task interface of a container definition")
    .argument("<file>", "container_config.yaml or mlcube.yaml")
    .option("--json", "print JSON")
    .action(async (file, opts) => {
      const { containerInspectCommand } = await import("../commands/container-inspect.ts");
      exit(await containerInspectCommand({ file, json: Boolean(opts.json), cwd: process.cwd() }, io));
    });

  program
    .command("codeowners")
    .description("write .github/CODEOWNERS from sites and benchmarks")
    .argument("[root]", "governance repository root", ".")
    .option("--check", "exit 1 when the file is out of date instead of writing it")
    .action(async (root, opts) => {
      const { codeownersCommand } = await import("../commands/codeowners.ts");
      exit(await codeownersCommand({ root, check: Boolean(opts.check) }, io));
    });

  program
    .command("init")
    .description("scaffold a new governance repository")
    .argument("<dir>", "directory to create (must be empty or missing)")
    .option("--benchmark <id>", "id of the sample benchmark", "my-benchmark")
    .option("--site <id>", "id of the sample site", "my-site")
    .action(async (dir, opts) => {
      const { initCommand } = await import("../commands/init.ts");
      exit(await initCommand({ dir, benchmark: opts.benchmark, site: opts.site }, io));
    });
}
