import {
  type Command,
  type CommandUnknownOpts,
  InvalidArgumentError,
  Option,
  type OptionValues,
} from "@commander-js/extra-typings";
import { UsageError } from "../base/errors.ts";
import type { AddedOptions, NoOptions, WiringContext } from "./context.ts";

/**
 * A command group, created by whichever wiring module asks first: other modules add their
 * subcommands to the same group (`outboxGroup(program).command("approve")...`) whatever the
 * order of the WIRING array.
 */
function group(program: Command, name: string, description: string): CommandUnknownOpts {
  return program.commands.find((c) => c.name() === name) ?? program.command(name).description(description);
}

/** `fedeval dataset ...` (prepare, test, check, hash here; register elsewhere). */
export const datasetGroup = (program: Command) =>
  group(program, "dataset", "a site's datasets: prepare, test, check, hash");

/** `fedeval outbox ...` (ls, show here; approve, reject elsewhere). */
export const outboxGroup = (program: Command) =>
  group(program, "outbox", "results computed at this site that have not left it yet");

const runnerOption = () =>
  new Option(
    "--runner <runner>",
    "docker (isolated; Docker Engine or Podman's Docker API) or process (development only, no isolation)",
  ).default("docker");

/** The limit flags `dataset prepare` and `run` share, added to the options `cmd` already has. */
function withLimits<Args extends unknown[], Opts extends OptionValues, GlobalOpts extends OptionValues>(
  cmd: Command<Args, Opts, GlobalOpts>,
) {
  return cmd
    .addOption(runnerOption())
    .option("--gpus <gpus>", "give containers GPUs: all, a number, or device=ID[,ID]")
    .option("--shm-size <size>", "size of /dev/shm (e.g. 2g); default: the container definition's, else 1g")
    .option("--memory <size>", "memory limit per container (e.g. 16g); default 8g")
    .option("--timeout <duration>", "time limit per task (e.g. 90m, 2h); default 1h")
    .option("--max-output <size>", "limit on what a task writes (e.g. 20g)");
}

/** Parses a flag's value as a whole number, 1 or more (commander prints the one-line error). */
const wholeNumber = (flag: string) => (value: string) => {
  if (!/^[1-9]\d*$/.test(value))
    throw new InvalidArgumentError(`${flag}: expected a whole number, 1 or more`);
  return Number(value);
};

/** withLimits' options, parsed. */
type LimitOptionValues = AddedOptions<typeof withLimits<[], NoOptions, NoOptions>>;

/** withLimits' parsed options → the request's runner (checked: one line naming the runners there are) and limits. */
async function limitSettings(opts: LimitOptionValues) {
  const { runnerKind } = await import("../app/run.ts");
  return {
    runner: runnerKind(opts.runner),
    gpus: opts.gpus,
    shmSize: opts.shmSize,
    memory: opts.memory,
    timeout: opts.timeout,
    maxOutput: opts.maxOutput,
  };
}

/**
 * Runs a command that a Ctrl-C (or SIGTERM) interrupts through `signal`: the running container is
 * killed and removed, and the command stops cleanly. A second Ctrl-C exits at once.
 */
async function interruptibly(command: (signal: AbortSignal) => Promise<number>): Promise<number> {
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write("\ninterrupting: stopping the running container (Ctrl-C again to quit at once)\n");
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    return await command(controller.signal);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** `fedeval test`'s flags naming container definitions outside the repository, by role. */
function localContainers(opts: {
  container?: string;
  image?: string;
  parameters?: string;
  additionalFiles?: string;
  preparation?: string;
  preparationImage?: string;
  preparationParameters?: string;
  evaluator?: string;
  evaluatorImage?: string;
  evaluatorParameters?: string;
}) {
  const role = (container?: string, image?: string, parameters?: string, flags = ["", "", ""]) => {
    if (container === undefined) {
      if (image !== undefined || parameters !== undefined)
        throw new UsageError(`${flags[1]} and ${flags[2]} go with ${flags[0]}`);
      return undefined;
    }
    return { container, image, parameters };
  };
  if (opts.additionalFiles !== undefined && opts.container === undefined)
    throw new UsageError("--additional-files goes with --container");
  const model = role(opts.container, opts.image, opts.parameters, ["--container", "--image", "--parameters"]);
  const local = {
    model: model && { ...model, additionalFiles: opts.additionalFiles },
    preparation: role(opts.preparation, opts.preparationImage, opts.preparationParameters, [
      "--preparation",
      "--preparation-image",
      "--preparation-parameters",
    ]),
    evaluator: role(opts.evaluator, opts.evaluatorImage, opts.evaluatorParameters, [
      "--evaluator",
      "--evaluator-image",
      "--evaluator-parameters",
    ]),
  };
  return Object.fromEntries(Object.entries(local).filter(([, v]) => v));
}

/** dataset prepare/test/check/hash, plan, run, test, outbox ls/show, doctor. */
export function wireSiteRun({ program, io, exit }: WiringContext): void {
  const env = process.env;
  const dataset = datasetGroup(program);

  withLimits(
    dataset
      .command("prepare")
      .description(
        "prepare raw data with a benchmark's preparation container (prepare, sanity_check, statistics), write the association to propose, then run the reference test",
      )
      .requiredOption("--benchmark <id>", "benchmark")
      .requiredOption("--site <id>", "your site")
      .requiredOption("--data <dir>", "raw data folder (read-only to the container)")
      .requiredOption("--labels <dir>", "raw labels folder (read-only to the container)")
      .requiredOption("--name <id>", "id of the new dataset (e.g. north-general-2026q4)")
      .option("--root <dir>", "governance repository", ".")
      .option("--as <login>", "your GitHub login, recorded as requested_by"),
  ).action(async (opts) => {
    const { datasetPrepareCommand } = await import("../commands/dataset-prepare.ts");
    const settings = await limitSettings(opts);
    exit(
      await interruptibly((signal) =>
        datasetPrepareCommand(
          {
            benchmark: opts.benchmark,
            site: opts.site,
            data: opts.data,
            labels: opts.labels,
            name: opts.name,
            root: opts.root,
            as: opts.as,
            ...settings,
            cwd: process.cwd(),
            env,
            signal,
          },
          io,
        ),
      ),
    );
  });

  withLimits(
    dataset
      .command("test")
      .description(
        "run the benchmark's reference model and evaluator on a prepared dataset (MedPerf's association test); registration needs it to pass",
      )
      .requiredOption("--benchmark <id>", "benchmark")
      .requiredOption("--site <id>", "your site")
      .requiredOption("--name <id>", "the dataset id given to `dataset prepare`")
      .option("--root <dir>", "governance repository", "."),
  ).action(async (opts) => {
    const { datasetTestCommand } = await import("../commands/dataset-prepare.ts");
    const settings = await limitSettings(opts);
    exit(
      await interruptibly((signal) =>
        datasetTestCommand(
          {
            benchmark: opts.benchmark,
            site: opts.site,
            name: opts.name,
            root: opts.root,
            ...settings,
            cwd: process.cwd(),
            env,
            signal,
          },
          io,
        ),
      ),
    );
  });

  dataset
    .command("check")
    .description(
      "re-hash a prepared dataset and compare with its preparation (and registration, with --root)",
    )
    .requiredOption("--benchmark <id>", "benchmark")
    .requiredOption("--site <id>", "your site")
    .requiredOption("--name <id>", "dataset id")
    .option("--root <dir>", "also compare with the hash registered in this governance repository")
    .action(async (opts) => {
      const { datasetCheckCommand } = await import("../commands/dataset-check.ts");
      exit(
        await datasetCheckCommand(
          {
            benchmark: opts.benchmark,
            site: opts.site,
            name: opts.name,
            root: opts.root,
            cwd: process.cwd(),
            env,
          },
          io,
        ),
      );
    });

  dataset
    .command("hash")
    .description("the fedeval-tree-v1 hash of a folder (and its MedPerf generated_uid)")
    .argument("<dir>", "folder to hash")
    .option("--json", "print JSON")
    .action(async (dir, opts) => {
      const { datasetHashCommand } = await import("../commands/dataset-hash.ts");
      exit(await datasetHashCommand({ dir, json: Boolean(opts.json), cwd: process.cwd() }, io));
    });

  program
    .command("plan")
    .description("list the (benchmark, model, dataset) triples this site should run")
    .requiredOption("--site <id>", "your site")
    .option("--root <dir>", "governance repository", ".")
    .option("--fetch", "fetch the governance clone's remote and fast-forward it first")
    .option("--json", "print JSON")
    .action(async (opts) => {
      const { planCommand } = await import("../commands/plan.ts");
      exit(
        await planCommand(
          {
            site: opts.site,
            root: opts.root,
            json: opts.json,
            remote: opts.fetch ? "fetch" : "check",
            cwd: process.cwd(),
            env,
          },
          io,
        ),
      );
    });

  withLimits(
    program
      .command("run")
      .description("run the plan: infer and evaluate each triple, hold the results in the outbox")
      .requiredOption("--site <id>", "your site")
      .option("--root <dir>", "governance repository (a git clone)", ".")
      .option("--benchmark <id>", "only this benchmark")
      .option("--model <id>", "only this model")
      .option("--ignore-model-errors", "keep a partial result (metrics null, model-error) when a model fails")
      .option("--fetch", "fetch the governance clone's remote and fast-forward it first")
      .option(
        "--parallel <n>",
        "run up to n triples at once (with --gpus device=A,B,...: each on its own GPUs)",
        wholeNumber("--parallel"),
      )
      .option(
        "--executor <executor>",
        "where triples run: local (this machine) or slurm (one job per triple)",
        "local",
      )
      .option("--partition <name>", "slurm: the partition to submit to")
      .option(
        "--gpus-per-job <n>",
        "slurm: GPUs Slurm allocates to each job (its containers get those)",
        wholeNumber("--gpus-per-job"),
      )
      .option("--time <limit>", "slurm: time limit per job, as sbatch takes it (e.g. 2:00:00)")
      .option("--wait", "slurm: follow the jobs and report each outcome (Ctrl-C cancels them)")
      .option(
        "--triple <id>",
        "only this triple (benchmark/dataset/model), under its own lock: what a Slurm job runs",
      )
      .option("--json", "print the run's report as JSON"),
  ).action(async (opts) => {
    const { runCommand } = await import("../commands/run.ts");
    const { executorKind } = await import("../app/run.ts");
    const executor = executorKind(opts.executor);
    const settings = await limitSettings(opts);
    exit(
      await interruptibly((signal) =>
        runCommand(
          {
            site: opts.site,
            root: opts.root,
            benchmark: opts.benchmark,
            model: opts.model,
            ignoreModelErrors: opts.ignoreModelErrors,
            parallel: opts.parallel,
            remote: opts.fetch ? "fetch" : "check",
            triple: opts.triple,
            executor,
            slurm: {
              partition: opts.partition,
              gpusPerJob: opts.gpusPerJob,
              time: opts.time,
              wait: opts.wait,
            },
            fedeval: [process.execPath, process.argv[1] as string],
            json: opts.json,
            ...settings,
            cwd: process.cwd(),
            env,
            signal,
          },
          io,
        ),
      ),
    );
  });

  withLimits(
    program
      .command("test")
      .description(
        "run the preparation, a model and the evaluator on the demo dataset or local data, before proposing anything (nothing is signed, nothing leaves)",
      )
      .requiredOption("--benchmark <id>", "benchmark")
      .option("--root <dir>", "governance repository (a working tree: nothing needs to be approved)", ".")
      .option("--model <id>", "a model file of the benchmark (default: the reference model)")
      .option("--container <file>", "a model's container definition outside the repository")
      .option("--image <ref>", "its image, pinned (sha256:<image id> or NAME@sha256:<digest>)")
      .option("--parameters <file>", "its parameters file")
      .option(
        "--additional-files <path>",
        "its additional files (weights): a tar or tar.gz archive, or a folder",
      )
      .option("--preparation <file>", "a preparation container definition to use instead of the benchmark's")
      .option("--preparation-image <ref>", "its image, pinned")
      .option("--preparation-parameters <file>", "its parameters file")
      .option("--evaluator <file>", "an evaluator container definition to use instead of the benchmark's")
      .option("--evaluator-image <ref>", "its image, pinned")
      .option("--evaluator-parameters <file>", "its parameters file")
      .option("--data <dir>", "raw data to prepare instead of the demo dataset")
      .option("--labels <dir>", "their labels")
      .option("--json", "print JSON"),
  ).action(async (opts) => {
    const { testCommand } = await import("../commands/test.ts");
    const settings = await limitSettings(opts);
    exit(
      await interruptibly((signal) =>
        testCommand(
          {
            benchmark: opts.benchmark,
            root: opts.root,
            model: opts.model,
            local: localContainers(opts),
            data: opts.data,
            labels: opts.labels,
            json: Boolean(opts.json),
            ...settings,
            cwd: process.cwd(),
            env,
            signal,
          },
          io,
        ),
      ),
    );
  });

  const outbox = outboxGroup(program);
  outbox
    .command("ls")
    .description("list the results waiting in the outbox")
    .option("--site <id>", "only this site")
    .option("--sent", "list the results that left as a pull request instead")
    .option("--json", "print JSON")
    .action(async (opts) => {
      const { outboxListCommand } = await import("../commands/outbox-list.ts");
      exit(
        await outboxListCommand(
          { site: opts.site, sent: opts.sent, json: opts.json, cwd: process.cwd(), env },
          io,
        ),
      );
    });
  outbox
    .command("show")
    .description("show a result exactly as it would be submitted, and what was dropped")
    .argument("<id>", "outbox entry id (see outbox ls)")
    .option("--site <id>", "the entry's site")
    .action(async (id, opts) => {
      const { outboxShowCommand } = await import("../commands/outbox-show.ts");
      exit(await outboxShowCommand({ id, site: opts.site, cwd: process.cwd(), env }, io));
    });

  program
    .command("doctor")
    .description("check that this machine can run a site: Docker, GPUs, git, forge token, site key, disk")
    .option("--site <id>", "also check this site's signing key")
    .option(
      "--root <dir>",
      "with --site: the governance repository whose sites/<site>.yaml must list the key",
    )
    .action(async (opts) => {
      const { doctorCommand } = await import("../commands/doctor.ts");
      exit(await doctorCommand({ site: opts.site, root: opts.root, cwd: process.cwd(), env }, io));
    });
}
