/**
 * Running a benchmark's containers at a site, with every mount MedPerf gives a task
 * (medperf/entities/cube.py `run`, commands/dataset/prepare.py, commands/execution/
 * container_execution.py). Each task receives the mounts of its step, plus on every task:
 *   parameters_file    the container's parameters: `benchmarks/<b>/containers/<name>/parameters.yaml`
 *                      (MedPerf's `workspace/parameters.yaml`, MLCube's workspace parameters file),
 *                      else an empty mapping
 *   additional_files   the container's verified additional files (its weights) when it has any
 *                      (`ContainerRole.additionalFiles`), else an empty folder (as MedPerf gives a
 *                      container without them)
 * and by step:
 *   prepare       data_path, labels_path (raw) → output_path, output_labels_path, metadata_path, report_file
 *   sanity_check  data_path, labels_path (prepared), metadata_path
 *   statistics    data_path, labels_path (prepared), metadata_path → output_path (statistics.yaml)
 *   infer         data_path (prepared data) → output_path (predictions)
 *   evaluate      predictions, labels (prepared labels) → output_path (results.yaml),
 *                 local_outputs_path (kept in the site workspace, never published)
 * A container mounts only what its definition declares; a mount it declares that its step does not
 * fill is refused in one line before it runs. The benchmark's `policy.strict_isolation` runs
 * every task under strict isolation (containers/docker-runner.ts). What a container wrote
 * (statistics.yaml, results.yaml) is read without ever echoing its content.
 */
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import { join, posix } from "node:path";
import { UserError } from "../base/errors.ts";
import type { ContainerRunner, ResolvedImage, TaskRunOutcome } from "../containers/runner.ts";
import type { KnownTask, TaskInterface } from "../containers/types.ts";
import { parseYaml, readSourceFile } from "../formats/yaml-source.ts";
import { paths } from "../governance/layout.ts";
import type { BenchmarkFolder } from "../governance/loader.ts";
import type { Benchmark, ContainerReference } from "../governance/types.ts";
import { type EvaluatorOutput, readEvaluatorOutput } from "../results/build-result.ts";
import { type SiteLimits, taskLimits } from "./runners.ts";

/** The task `name` of a container the benchmark references; a UserError when it cannot run. */
export function containerTask(
  folder: BenchmarkFolder,
  ref: ContainerReference,
  name: KnownTask,
): TaskInterface {
  const file = paths.container(folder.id, ref.config);
  const entry = folder.containers.get(ref.config);
  if (!entry) throw new UserError(`${file} is missing or invalid (see \`fedeval validate\`)`);
  const task = entry.definition.tasks[name];
  if (!task) throw new UserError(`${file} has no task "${name}"`);
  return task;
}

/**
 * Puts the container's parameters file at `dest`: a copy of
 * `benchmarks/<b>/containers/<config name>/parameters.yaml` when the repository has one, else an
 * empty mapping.
 */
export async function parametersFile(
  root: string,
  benchmark: string,
  ref: ContainerReference,
  dest: string,
): Promise<string> {
  const source = join(root, "benchmarks", benchmark, ref.config.replace(/\.yaml$/, ""), "parameters.yaml");
  await mkdir(join(dest, ".."), { recursive: true });
  try {
    await copyFile(source, dest);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    await writeFile(dest, "{}\n");
  }
  return dest;
}

export interface ContainerRole {
  ref: ContainerReference;
  image: ResolvedImage;
  /**
   * Host folder of the container's additional files (MedPerf's `additional_files` tarball,
   * downloaded and verified by hash), mounted read-only at each task's `additional_files`.
   * Absent: an empty folder.
   */
  additionalFiles?: string;
}

/** What every task of one command shares. */
export interface TaskSetting {
  runner: ContainerRunner;
  limits: SiteLimits;
  /** Governance repository root. */
  root: string;
  folder: BenchmarkFolder;
  /** Where parameters files and empty additional-files folders are written. */
  scratch: string;
  logFile: string;
  containerLabels?: Record<string, string>;
  signal?: AbortSignal;
}

/**
 * Runs task `name` of a benchmark container with `mounts` (by MedPerf's names) plus the
 * container's parameters file and additional files. Task failures are outcomes, not exceptions.
 */
export async function runContainerTask(
  setting: TaskSetting,
  role: ContainerRole,
  name: KnownTask,
  mounts: Record<string, string>,
): Promise<TaskRunOutcome> {
  const task = containerTask(setting.folder, role.ref, name);
  const file = paths.container(setting.folder.id, role.ref.config);
  const own = join(setting.scratch, "containers", posix.basename(role.ref.config, ".yaml"));
  let additionalFiles = role.additionalFiles;
  if (additionalFiles === undefined) {
    additionalFiles = join(own, "additional_files");
    await mkdir(additionalFiles, { recursive: true });
  }
  const all: Record<string, string> = {
    ...mounts,
    parameters_file: await parametersFile(
      setting.root,
      setting.folder.id,
      role.ref,
      join(own, "parameters.yaml"),
    ),
    additional_files: additionalFiles,
  };
  for (const mount of [...task.inputs, ...task.outputs]) {
    if (all[mount.name] === undefined) {
      throw new UserError(
        `${file}: task ${name} declares ${mount.name}, which fedeval does not give the ${name} task (it gives ${Object.keys(all).sort().join(", ")})`,
      );
    }
  }
  return setting.runner.runTask({
    image: role.image,
    task,
    mounts: all,
    limits: taskLimits(setting.limits, task, file),
    strict: setting.folder.benchmark?.data?.policy.strict_isolation === true,
    logFile: setting.logFile,
    labels: setting.containerLabels,
    signal: setting.signal,
  });
}

export interface EvaluationRequest extends TaskSetting {
  model: ContainerRole;
  evaluator: ContainerRole;
  /** Prepared data and labels folders. */
  data: string;
  labels: string;
  /** The evaluator's `local_outputs_path`: a folder in the site workspace, never published. */
  localOutputs: string;
  now: () => Date;
}

export interface EvaluationRun {
  startedAt: Date;
  finishedAt: Date;
  infer: TaskRunOutcome;
  /** Absent when infer failed (evaluate did not run). */
  evaluate?: TaskRunOutcome;
  resultsFile: string;
}

/**
 * Runs `infer` then, if it succeeded, `evaluate`, writing predictions and results.yaml under
 * `scratch`. Task failures are outcomes, not exceptions.
 */
export async function inferAndEvaluate(req: EvaluationRequest): Promise<EvaluationRun> {
  // both tasks exist before either runs
  containerTask(req.folder, req.model.ref, "infer");
  containerTask(req.folder, req.evaluator.ref, "evaluate");
  const predictions = join(req.scratch, "predictions");
  const resultsFile = join(req.scratch, "results", "results.yaml");
  const startedAt = req.now();
  const infer = await runContainerTask(req, req.model, "infer", {
    data_path: req.data,
    output_path: predictions,
  });
  if (infer.status !== "ok") return { startedAt, finishedAt: req.now(), infer, resultsFile };
  await mkdir(req.localOutputs, { recursive: true });
  const evaluate = await runContainerTask(req, req.evaluator, "evaluate", {
    predictions,
    labels: req.labels,
    output_path: resultsFile,
    local_outputs_path: req.localOutputs,
  });
  return { startedAt, finishedAt: req.now(), infer, evaluate, resultsFile };
}

export type ModelEvaluation =
  | { ok: true; output: EvaluatorOutput; run: EvaluationRun }
  | { ok: false; task: "infer" | "evaluate"; message: string; logTail: string[] };

/**
 * `inferAndEvaluate`, then the evaluator's results.yaml read into the benchmark's declared metrics
 * (`cases`: the number of prepared cases, for an evaluator that does not say `n`). A failed task
 * or an unreadable results.yaml is an outcome whose message never quotes a container's output.
 */
export async function evaluateModel(
  req: EvaluationRequest,
  benchmark: Benchmark,
  cases: number,
): Promise<ModelEvaluation> {
  const run = await inferAndEvaluate(req);
  if (!run.evaluate) {
    return { ok: false, task: "infer", message: outcomeLine(run.infer, "infer"), logTail: run.infer.logTail };
  }
  if (run.evaluate.status !== "ok") {
    return {
      ok: false,
      task: "evaluate",
      message: outcomeLine(run.evaluate, "evaluate"),
      logTail: run.evaluate.logTail,
    };
  }
  const results = await readContainerYaml(run.resultsFile, "results.yaml");
  if ("problem" in results) return { ok: false, task: "evaluate", message: results.problem, logTail: [] };
  return { ok: true, output: readEvaluatorOutput(benchmark, results.data, cases), run };
}

/**
 * Reads a YAML file a container wrote (statistics.yaml, results.yaml), with the governance
 * loader's guards (size, no symlink, UTF-8, safe YAML). On failure, says why in words that never
 * quote the file's content.
 */
export async function readContainerYaml(
  file: string,
  what: string,
): Promise<{ data: unknown } | { problem: string }> {
  let read: Awaited<ReturnType<typeof readSourceFile>>;
  try {
    read = await readSourceFile(file, what);
  } catch {
    return { problem: `${what} was not written` };
  }
  if (read.text === undefined) return { problem: `${what} cannot be read (${read.diagnostics[0]?.name})` };
  const parsed = parseYaml(read.text, what);
  if (!parsed.source) return { problem: `${what} is not valid YAML (${parsed.diagnostics[0]?.name})` };
  return { data: parsed.source.data };
}

/**
 * A task's outcome in one line that never quotes the container's output (a hostile container
 * could print data there): the last lines stay in the log file.
 */
export function outcomeLine(outcome: TaskRunOutcome, task: string): string {
  if (outcome.status === "failed" && outcome.exitCode !== null) {
    return `task ${task} failed with exit code ${outcome.exitCode}`;
  }
  return outcome.message;
}
