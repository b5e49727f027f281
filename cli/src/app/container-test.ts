/**
 * `fedeval test` (MedPerf's `medperf test run`): a model vendor or a committee runs the
 * benchmark's preparation, a model and the evaluator on the benchmark's demo data or on local
 * data, from container definitions and images on this machine, before proposing anything. No
 * approval is needed, nothing is signed, nothing leaves: the report has the metrics and, per task,
 * what the container received and the last lines it printed when it failed.
 *
 * The model is the benchmark's reference model, a model file of the working tree (`--model ID`,
 * approved or not), or a container definition outside it (`--container FILE --image REF
 * [--parameters FILE]`); likewise the preparation and the evaluator may be definitions outside it
 * (`--preparation FILE --preparation-image REF`, `--evaluator ...`, as MedPerf's `-p` and `-e`).
 * Local definitions go into a temporary copy of the benchmark folder (without its datasets and
 * results), as `fedeval model propose` would add them.
 */
import { createHash } from "node:crypto";
import { cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
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
import { hashDatasetTree } from "../site/tree-hash.ts";

export type { TaskRecord } from "../site/task-record.ts";

const PINNED = /^(sha256:[0-9a-f]{64}|[^@\s]+@sha256:[0-9a-f]{64})$/;

/** The model id a definition outside the governance tree gets in the test. */
export const LOCAL_MODEL = "local-model";

export type LocalRole = "model" | "preparation" | "evaluator";

/** A container definition on this machine, its image and its parameters file (paths relative to `cwd`). */
export interface LocalContainer {
  container: string;
  /** The image, pinned (`sha256:<image id>` or `NAME@sha256:<digest>`); default: the definition's image. */
  image?: string;
  parameters?: string;
  /** Its additional files: a tar or tar.gz archive, or a folder (mounted at `additional_files`). */
  additionalFiles?: string;
}

/** The flags that name each role's local container, for messages. */
const ROLE_FLAGS: Record<LocalRole, { container: string; image: string; task: string }> = {
  model: { container: "--container", image: "--image", task: "infer" },
  preparation: { container: "--preparation", image: "--preparation-image", task: "prepare" },
  evaluator: { container: "--evaluator", image: "--evaluator-image", task: "evaluate" },
};

export interface ContainerTestRequest extends LimitFlags {
  /** Governance repository (a working tree: nothing in it needs to be approved), relative to `cwd`. */
  root: string;
  benchmark: string;
  /** A model of the benchmark's working tree; default: the reference model. */
  model?: string;
  /**
   * Container definitions outside the tree, by role: a model to test (instead of `model`), or a
   * preparation or evaluator to use instead of the benchmark's.
   */
  local?: Partial<Record<LocalRole, LocalContainer>>;
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
  if (req.model !== undefined && req.local?.model)
    throw new UsageError(
      "--model names a model of the governance tree, --container one outside it: pass one",
    );
  if (req.model !== undefined) requireSlugFlags([["--model", req.model]]);
  if ((req.data === undefined) !== (req.labels === undefined))
    throw new UsageError("--data and --labels go together: the raw data and their labels");
  const limits = siteLimits(req);
  let index = await loadSiteGovernance(req.root, req.cwd, req.logger);
  const benchmark = index.benchmarks.get(req.benchmark)?.benchmark?.data;
  if (!benchmark)
    throw new UserError(
      `${paths.benchmark(req.benchmark)} is missing or invalid in ${req.root} (see \`fedeval validate ${req.root}\`)`,
    );
  const workDir = await mkdtemp(join(req.env.RUNNER_TEMP || tmpdir(), "fedeval-test-"));
  let model: string | { id: string; container: ContainerReference } | undefined = req.model;
  if (req.local && Object.keys(req.local).length) {
    index = await withLocalContainers(index, req.benchmark, req.local, req.cwd, join(workDir, "governance"));
    if (req.local.model) model = LOCAL_MODEL;
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
    env: req.env,
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
 * A copy of the benchmark's folder (without datasets and results) in `dir`, with each local
 * definition as `containers/local-<role>.yaml` (and its parameters file, as
 * `containers/local-<role>/parameters.yaml`): a model file names the local model, as `fedeval
 * model propose` would write it; benchmark.yaml names a local preparation or evaluator. Loaded as
 * a governance tree.
 */
async function withLocalContainers(
  index: GovernanceIndex,
  benchmark: string,
  local: Partial<Record<LocalRole, LocalContainer>>,
  cwd: string,
  dir: string,
): Promise<GovernanceIndex> {
  const source = join(index.root, "benchmarks", benchmark);
  const target = join(dir, "benchmarks", benchmark);
  await rm(dir, { recursive: true, force: true });
  await cp(source, target, {
    recursive: true,
    filter: (from) => ![join(source, "datasets"), join(source, "results")].includes(from),
  });
  const benchmarkFile = join(dir, paths.benchmark(benchmark));
  const written = [paths.benchmark(benchmark)];
  const data = structuredClone(index.benchmarks.get(benchmark)?.benchmark?.data);
  if (!data) throw new UserError(`${paths.benchmark(benchmark)} is missing or invalid`);
  for (const [role, given] of Object.entries(local) as [LocalRole, LocalContainer][]) {
    const flags = ROLE_FLAGS[role];
    const file = resolve(cwd, given.container);
    const parsed = await loadContainerDefinition(file, given.container);
    const definition = parsed.definition;
    if (!definition) {
      const first = parsed.diagnostics[0];
      throw new UserError(
        `${given.container} is not a usable container definition${first ? `: ${first.file}:${first.line}:${first.col}: ${first.message}` : ""}`,
      );
    }
    if (!definition.tasks[flags.task])
      throw new UserError(`${given.container} has no ${flags.task} task, which a ${role} container needs`);
    const id = role === "model" ? LOCAL_MODEL : `local-${role}`;
    const config = `containers/${id}.yaml`;
    await writeFile(join(target, config), await readFile(file));
    written.push(paths.container(benchmark, config));
    if (given.parameters !== undefined) {
      const parameters = await readFile(resolve(cwd, given.parameters)).catch(() => {
        throw new UserError(`${given.parameters}: no such file`);
      });
      await mkdir(join(target, "containers", id), { recursive: true });
      await writeFile(join(target, "containers", id, "parameters.yaml"), parameters);
    }
    const ref: ContainerReference = { image: given.image ?? definition.image, config };
    if (given.additionalFiles !== undefined) {
      ref.additional_files = await copyAdditionalFiles(resolve(cwd, given.additionalFiles), target, id);
    }
    if (!PINNED.test(ref.image))
      throw new UserError(
        `${given.container}: image ${ref.image} is not pinned; pass ${flags.image} sha256:<image id> (\`docker inspect --format '{{.Id}}' IMAGE\`) or NAME@sha256:<digest>`,
      );
    if (role === "model") {
      const model: Model = {
        schema: "fedeval/model@1",
        id,
        owner: ["local"],
        container: ref,
        status: "proposed",
      };
      await mkdir(join(target, "models"), { recursive: true });
      await writeFile(join(dir, paths.model(benchmark, id)), governanceFileText("model", model));
      written.push(paths.model(benchmark, id));
    } else {
      data.containers[role] = ref;
    }
  }
  await writeFile(benchmarkFile, governanceFileText("benchmark", data));
  const loaded = await loadGovernance(dir);
  const folder = loaded.index.benchmarks.get(benchmark);
  const problem = loaded.diagnostics.find((d) => d.severity === "error" && written.includes(d.file));
  if (!folder?.benchmark || (local.model && !folder.models.has(LOCAL_MODEL)) || problem) {
    throw new UserError(
      `the local containers cannot be tested${problem ? `: ${problem.file}:${problem.line}:${problem.col}: ${problem.message}` : ""}`,
    );
  }
  return loaded.index;
}

/**
 * Puts local additional files where a benchmark keeps small ones, `containers/<id>/additional_files`
 * (a folder as it is, an archive under its own name), and declares them with the hash they have.
 */
async function copyAdditionalFiles(
  source: string,
  target: string,
  id: string,
): Promise<NonNullable<ContainerReference["additional_files"]>> {
  const at = `containers/${id}/additional_files`;
  const s = await stat(source).catch(() => {
    throw new UserError(`${source}: no such file or folder (additional files)`);
  });
  if (s.isDirectory()) {
    await cp(source, join(target, at), { recursive: true });
    return { path: at, sha256: (await hashDatasetTree(join(target, at))).hash.split(":").pop() as string };
  }
  const bytes = await readFile(source);
  await mkdir(join(target, at), { recursive: true });
  await writeFile(join(target, at, basename(source)), bytes);
  return { path: `${at}/${basename(source)}`, sha256: createHash("sha256").update(bytes).digest("hex") };
}
