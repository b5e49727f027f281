/**
 * Command wiring only: parse flags, call the command module, print, set the exit code.
 * Command modules are imported lazily so `fedeval --version` starts as fast as node itself.
 */
import { Command, CommanderError, Option } from "commander";
import { ExternalError, UserError } from "./errors.ts";
import type { CommandIO } from "./io.ts";
import { FEDEVAL_VERSION } from "./version.ts";

const io: CommandIO = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  isTTY: Boolean(process.stdout.isTTY),
  logger: {
    info: (m) => process.stderr.write(`${m}\n`),
    warn: (m) => process.stderr.write(`warning: ${m}\n`),
  },
};

function setExit(code: number): void {
  if (code > (process.exitCode as number | undefined ?? 0)) process.exitCode = code;
}

const program = new Command("fedeval")
  .description("Federated evaluation of medical AI models, coordinated through a Git repository")
  .version(FEDEVAL_VERSION, "-V, --version")
  .showHelpAfterError()
  .exitOverride();

program
  .command("validate")
  .description("validate a governance repository (schemas and cross-file rules)")
  .argument("[root]", "governance repository root", ".")
  .option("--json", "print a machine-readable report")
  .option("--changed-since <rev>", "report only problems in files changed since this git revision")
  .option("--author <login>", "with --changed-since: check that this GitHub login may touch the changed paths")
  .addOption(new Option("--format <format>", "output format").choices(["text", "json", "github"]).default("text"))
  .action(async (root: string, opts) => {
    const { validateCommand } = await import("./commands/validate.ts");
    setExit(await validateCommand({ root, json: opts.json, format: opts.format, changedSince: opts.changedSince, author: opts.author }, io));
  });

const container = program.command("container").description("container definitions (MedPerf container_config.yaml, MLCube mlcube.yaml)");
container
  .command("inspect")
  .description("print the normalized task interface of a container definition")
  .argument("<file>", "container_config.yaml or mlcube.yaml")
  .option("--json", "print JSON")
  .action(async (file: string, opts) => {
    const { containerInspectCommand } = await import("./commands/container-inspect.ts");
    setExit(await containerInspectCommand({ file, json: Boolean(opts.json), cwd: process.cwd() }, io));
  });

program
  .command("codeowners")
  .description("write .github/CODEOWNERS from sites and benchmarks")
  .argument("[root]", "governance repository root", ".")
  .option("--check", "exit 1 when the file is out of date instead of writing it")
  .action(async (root: string, opts) => {
    const { codeownersCommand } = await import("./commands/codeowners.ts");
    setExit(await codeownersCommand({ root, check: Boolean(opts.check) }, io));
  });

program
  .command("init")
  .description("scaffold a new governance repository")
  .argument("<dir>", "directory to create (must be empty or missing)")
  .option("--benchmark <id>", "id of the sample benchmark", "my-benchmark")
  .option("--site <id>", "id of the sample site", "my-site")
  .action(async (dir: string, opts) => {
    const { initCommand } = await import("./commands/init.ts");
    setExit(await initCommand({ dir, benchmark: opts.benchmark, site: opts.site }, io));
  });

async function main(argv: string[]): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version exit 0; usage errors exit 2 (commander already printed the message)
      setExit(e.exitCode === 0 ? 0 : 2);
      return;
    }
    if (e instanceof UserError) {
      io.stderr(`fedeval: ${e.message}\n`);
      setExit(e.exitCode);
      return;
    }
    if (e instanceof ExternalError) {
      io.stderr(`fedeval: ${e.message}\n${e.hint ? `  what to do: ${e.hint}\n` : ""}`);
      setExit(2);
      return;
    }
    io.stderr(
      `fedeval: internal error (this is a bug in fedeval ${FEDEVAL_VERSION}, please report it with the lines below)\n${(e as Error)?.stack ?? String(e)}\n`,
    );
    setExit(70);
  }
}

await main(process.argv);
