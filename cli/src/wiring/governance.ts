import { Option } from "@commander-js/extra-typings";
import type { WiringContext } from "./context.ts";

/** validate, approve, member keygen, container inspect, codeowners, init. */
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
    .command("approve")
    .description(
      "sign a committee decision on a model, dataset or benchmark file and commit it onto the checked-out branch",
    )
    .argument(
      "<file>",
      "benchmarks/<b>/models/<m>.yaml, benchmarks/<b>/datasets/<d>.yaml or benchmarks/<b>/benchmark.yaml",
    )
    .option("--root <dir>", "governance repository root", ".")
    .option("--reject", "reject the request instead of approving it")
    .option("--suspend", "suspend an approved association (its results are kept, not ranked)")
    .option(
      "--as <login>",
      "your GitHub login (default: the only committee member with keys on this machine)",
    )
    .option("--no-commit", "only write the file")
    .option("--push", "push the branch to its upstream after committing")
    .option("--json", "print a machine-readable report")
    .action(async (file, opts) => {
      const { approveCommand } = await import("../commands/approve.ts");
      exit(
        await approveCommand(
          {
            file,
            root: opts.root,
            reject: Boolean(opts.reject),
            suspend: Boolean(opts.suspend),
            as: opts.as,
            commit: opts.commit,
            push: Boolean(opts.push),
            json: opts.json,
            cwd: process.cwd(),
            env: process.env,
            now: new Date(),
          },
          io,
        ),
      );
    });

  program
    .command("member")
    .description("committee members' signing keys")
    .command("keygen")
    .description("make a committee member's ed25519 key; prints the members: entry for benchmark.yaml")
    .requiredOption("--login <login>", "your GitHub login")
    .option("--id <id>", "key id (default: today's date)")
    .action(async (opts) => {
      const { memberKeygenCommand } = await import("../commands/approve.ts");
      exit(
        await memberKeygenCommand(
          { login: opts.login, id: opts.id, cwd: process.cwd(), env: process.env, now: new Date() },
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
