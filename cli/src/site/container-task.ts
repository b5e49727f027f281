/**
 * Running a benchmark's containers on a site's data, as `dataset prepare` (the reference model)
 * and `run` (every approved model) both do: find the task in the container definition, give it
 * its parameters file, run `infer` with the model and `evaluate` with the evaluator, and read what
 * a container wrote (statistics.yaml, results.yaml) without ever echoing its content.
 *
 * Mounts fedeval fills, by MedPerf's names:
 *   infer     data_path (prepared data), parameters_file, additional_files → output_path (predictions)
 *   evaluate  predictions, labels (prepared labels), parameters_file, additional_files → output_path (results.yaml)
 * `additional_files` is the container's checked additional files (additional-files.ts), or an
 * empty folder for a container that declares none, as MedPerf mounts one.
 */
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
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
  /** Host folder of its checked additional files (mounted read-only); absent: none declared. */
  additionalFiles?: string;
}

export interface EvaluationRequest {
  runner: ContainerRunner;
  limits: SiteLimits;
  root: string;
  folder: BenchmarkFolder;
  model: ContainerRole;
  evaluator: ContainerRole;
  /** Prepared data and labels folders. */
  data: string;
  labels: string;
  /** A fresh folder for predictions, parameters and results.yaml. */
  scratch: string;
  logFile: string;
  containerLabels?: Record<string, string>;
  signal?: AbortSignal;
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

/** Runs `infer` then, if it succeeded, `evaluate`. Task failures are outcomes, not exceptions. */
export async function inferAndEvaluate(req: EvaluationRequest): Promise<EvaluationRun> {
  const inferTask = containerTask(req.folder, req.model.ref, "infer");
  const evaluateTask = containerTask(req.folder, req.evaluator.ref, "evaluate");
  const predictions = join(req.scratch, "predictions");
  const resultsFile = join(req.scratch, "results", "results.yaml");
  const noFiles = join(req.scratch, "additional_files");
  await mkdir(noFiles, { recursive: true });
  const benchmark = req.folder.id;
  const common = {
    logFile: req.logFile,
    labels: req.containerLabels,
    signal: req.signal,
  };
  const startedAt = req.now();
  const infer = await req.runner.runTask({
    ...common,
    image: req.model.image,
    task: inferTask,
    limits: taskLimits(req.limits, inferTask),
    mounts: {
      data_path: req.data,
      parameters_file: await parametersFile(
        req.root,
        benchmark,
        req.model.ref,
        join(req.scratch, "parameters", "model.yaml"),
      ),
      additional_files: req.model.additionalFiles ?? noFiles,
      output_path: predictions,
    },
  });
  if (infer.status !== "ok") return { startedAt, finishedAt: req.now(), infer, resultsFile };
  const evaluate = await req.runner.runTask({
    ...common,
    image: req.evaluator.image,
    task: evaluateTask,
    limits: taskLimits(req.limits, evaluateTask),
    mounts: {
      predictions,
      labels: req.labels,
      parameters_file: await parametersFile(
        req.root,
        benchmark,
        req.evaluator.ref,
        join(req.scratch, "parameters", "evaluator.yaml"),
      ),
      additional_files: req.evaluator.additionalFiles ?? noFiles,
      output_path: resultsFile,
    },
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
