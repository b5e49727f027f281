/**
 * `fedeval test` (MedPerf's `medperf test run`): a model vendor or a committee runs the
 * benchmark's preparation, a model and the evaluator on the benchmark's demo data or on local
 * data, from container definitions and images on this machine, before proposing anything. No
 * approval is needed, nothing is signed, nothing leaves: the report has the metrics and, per task,
 * what the container received and the last lines it printed when it failed.
 *
 * The model is the benchmark's reference model, a model file of the working tree (`--model ID`,
 * approved or not), or a container definition outside it (`--container FILE --image REF
 * [--parameters FILE]`): then the benchmark folder is copied (without its datasets and results) to
 * a temporary governance tree with that definition added as model `local-model`, as `fedeval model
 * propose` would add it.
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type Docker from "dockerode";
import { UsageError, UserError } from "../base/errors.ts";
import type { Logger } from "../base/logger.ts";
import { workspace } from "../base/workspace.ts";
import { loadContainerDefinition } from "../containers/definition.ts";
import { governanceFileText } from "../governance/governance-file.ts";
import { paths, requireSlugFlags } from "../governance/layout.ts";
import { type GovernanceIndex, loadGovernance } from "../governance/loader.ts";
import type { ContainerReference, Model } from "../governance/types.ts";
import { type CompatibilityReport, compatibilityTest } from "../site/compatibility.ts";
import { createRunner, type LimitFlags, type RunnerKind, siteLimits } from "../site/runners.ts";
import { loadSiteGovernance } from "../site/site-governance.ts";
import { recordingRunner, type TaskRecord } from "../site/task-record.ts";

export type { TaskRecord } from "../site/task-record.ts";

/** The model id a definition outside the governance tree gets in the test. */
export const LOCAL_MODEL = "local-model";

export interface ContainerTestRequest extends LimitFlags {
  /** Governance repository (a working tree: nothing in it needs to be approved), relative to `cwd`. */
  root: string;
  benchmark: string;
  /** A model of the benchmark's working tree; default: the reference model. */
  model?: string;
  /** A model's container definition outside the tree, relative to `cwd` (with `image`). */
  container?: string;
  /** The image of `container`, pinned; default: the definition's image. */
  image?: string;
  /** A parameters file for `container`'s tasks. */
  parameters?: string;
  /** Raw data and labels to prepare instead of the demo dataset, relative to `cwd`. */
  data?: string;
  labels?: string;
  runner: RunnerKind;
  cwd: string;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  docker?: Docker;
  signal?: AbortSignal;
}

export interface ContainerTestReport {
  benchmark: string;
  model: string;
  /** `demo`: the benchmark's demo dataset; else the local raw data folders. */
  data: "demo" | { data: string; labels: string };
  result: CompatibilityReport;
  /** Every task that ran, in order: preparation tasks, infer, evaluate. */
  tasks: TaskRecord[];
  /** The metric ids the benchmark declares, in its order. */
  metrics: string[];
  /** Where the demo data, prepared data, predictions and log are (kept for inspection). */
  workDir: string;
}

export async function testContainers(req: ContainerTestRequest): Promise<ContainerTestReport> {
  requireSlugFlags([["--benchmark", req.benchmark]]);
  if (req.model !== undefined && req.container !== undefined)
    throw new UsageError(
      "--model names a model of the governance tree, --container one outside it: pass one",
    );
  if ((req.data === undefined) !== (req.labels === undefined))
    throw new UsageError("--data and --labels go together: the raw data and their labels");
  if (req.container === undefined && (req.image !== undefined || req.parameters !== undefined))
    throw new UsageError("--image and --parameters go with --container");
  const limits = siteLimits(req);
  const workDir = await mkdtemp(join(req.env.RUNNER_TEMP || tmpdir(), "fedeval-test-"));
  let index = await loadSiteGovernance(req.root, req.cwd, req.logger);
  const benchmark = index.benchmarks.get(req.benchmark)?.benchmark?.data;
  if (!benchmark)
    throw new UserError(
      `${paths.benchmark(req.benchmark)} is missing or invalid in ${req.root} (see \`fedeval validate ${req.root}\`)`,
    );
  let model: string | { id: string; container: ContainerReference } | undefined = req.model;
  if (req.container !== undefined) {
    index = await withLocalModel(index, req, join(workDir, "governance"));
    model = LOCAL_MODEL;
  }
  model ??= referenceModel(index, req.benchmark);
  const tasks: TaskRecord[] = [];
  const runner = recordingRunner(
    await createRunner(req.runner, {
      home: workspace(req.env, req.cwd).home,
      cwd: req.cwd,
      env: req.env,
      docker: req.docker,
    }),
    tasks,
  );
  const raw =
    req.data !== undefined && req.labels !== undefined
      ? { data: resolve(req.cwd, req.data), labels: resolve(req.cwd, req.labels) }
      : undefined;
  const result = await compatibilityTest({
    index,
    benchmark: req.benchmark,
    models: [model],
    runner,
    limits,
    workDir,
    raw,
    logger: req.logger,
    signal: req.signal,
  });
  return {
    benchmark: req.benchmark,
    model: typeof model === "string" ? model : model.id,
    data: raw ?? "demo",
    result,
    tasks,
    metrics: benchmark.metrics.map((m) => m.id),
    workDir,
  };
}

/**
 * The reference model: the model file whose container is the benchmark's `reference_model`, or,
 * when no model file names it, that container itself.
 */
function referenceModel(
  index: GovernanceIndex,
  benchmark: string,
): string | { id: string; container: ContainerReference } {
  const ref = index.benchmarks.get(benchmark)?.benchmark?.data.containers.reference_model;
  if (!ref) throw new UserError(`${paths.benchmark(benchmark)} has no reference_model`);
  const same = [...(index.benchmarks.get(benchmark)?.models.values() ?? [])].find(
    (m) => m.data.container.config === ref.config && m.data.container.image === ref.image,
  );
  return same?.data.id ?? { id: "reference-model", container: ref };
}

/**
 * A copy of the benchmark's folder (without datasets and results) in `dir`, with the local
 * definition as `containers/local-model.yaml` (and its parameters file) and a model file naming
 * it, as `fedeval model propose` would write them; loaded as a governance tree.
 */
async function withLocalModel(
  index: GovernanceIndex,
  req: ContainerTestRequest,
  dir: string,
): Promise<GovernanceIndex> {
  const shown = req.container as string;
  const file = resolve(req.cwd, shown);
  const parsed = await loadContainerDefinition(file, shown);
  const definition = parsed.definition;
  if (!definition) {
    const first = parsed.diagnostics[0];
    throw new UserError(
      `${shown} is not a usable container definition${first ? `: ${first.file}:${first.line}:${first.col}: ${first.message}` : ""}`,
    );
  }
  if (!definition.tasks.infer)
    throw new UserError(`${shown} has no infer task, which a model container needs`);
  const source = join(index.root, "benchmarks", req.benchmark);
  const target = join(dir, "benchmarks", req.benchmark);
  await rm(dir, { recursive: true, force: true });
  await cp(source, target, {
    recursive: true,
    filter: (from) => ![join(source, "datasets"), join(source, "results")].includes(from),
  });
  const config = `containers/${LOCAL_MODEL}.yaml`;
  await writeFile(join(target, config), await readFile(file));
  if (req.parameters !== undefined) {
    const parameters = await readFile(resolve(req.cwd, req.parameters)).catch(() => {
      throw new UserError(`${req.parameters}: no such file`);
    });
    await mkdir(join(target, "containers", LOCAL_MODEL), { recursive: true });
    await writeFile(join(target, "containers", LOCAL_MODEL, "parameters.yaml"), parameters);
  }
  const model: Model = {
    schema: "fedeval/model@1",
    id: LOCAL_MODEL,
    owner: ["local"],
    container: { image: req.image ?? definition.image, config },
    status: "proposed",
  };
  await mkdir(join(target, "models"), { recursive: true });
  await writeFile(join(dir, paths.model(req.benchmark, LOCAL_MODEL)), governanceFileText("model", model));
  const loaded = await loadGovernance(dir);
  const problem = loaded.diagnostics.find(
    (d) => d.severity === "error" && d.file.startsWith(`benchmarks/${req.benchmark}/`),
  );
  if (!loaded.index.benchmarks.get(req.benchmark)?.models.has(LOCAL_MODEL)) {
    throw new UserError(
      `${shown} with image ${model.container.image} cannot be tested${problem ? `: ${problem.message}` : ""}${req.image ? "" : " (pass --image sha256:<image id> or NAME@sha256:<digest> to pin it)"}`,
    );
  }
  return loaded.index;
}
