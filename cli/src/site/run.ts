/**
 * `fedeval run`: executes a site's plan. Per (benchmark, model, dataset) triple: check the prepared
 * data against its registered hash and the images against their pins, run `infer` with the model
 * and `evaluate` with the evaluator, keep only the benchmark's declared metrics from results.yaml
 * (build-result.ts: dropped fields are reported by path, never by value), record provenance, and
 * add a pending result to the site's outbox atomically. Nothing leaves the machine.
 *
 * - One run at a time per site workspace (lock.ts), held while planning and running; within it,
 *   up to `parallel` triples run at once (one outbox, per-triple logs), each with its own GPUs
 *   when `--gpus` lists devices (gpuSlots).
 * - A triple that fails never stops the others; an unreachable Docker Engine stops the run.
 * - A failed model gives a `partial` result (every metric null, reason `model-error`) only with
 *   `ignoreModelErrors`; a failed evaluator never gives a result.
 * - Abort (Ctrl-C): the running container is killed and removed, no further triple starts, and no
 *   result of the interrupted triple is written. Since outbox entries are written whole or not at
 *   all, a new run resumes with the triples that have none.
 * - Privacy: nothing this module reports (outcomes, logger lines) contains a metric value, a
 *   statistic or a container's output. Values are seen with `fedeval outbox show`; container
 *   output stays in the per-triple log file under `runs/<run-id>/`.
 */

import { appendFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { formatBytes } from "../base/bytes.ts";
import { requireRoom } from "../base/disk.ts";
import { ExternalError, UsageError, UserError } from "../base/errors.ts";
import { gitText } from "../base/git.ts";
import { acquireSiteLock, type LockOptions, lockIsHeld, type SiteLock } from "../base/lock.ts";
import type { Logger } from "../base/logger.ts";
import { getOrThrow } from "../base/maps.ts";
import { isoSeconds, newRunId } from "../base/run-id.ts";
import { FEDEVAL_VERSION } from "../base/version.ts";
import type { SiteWorkspace } from "../base/workspace.ts";
import {
  type ContainerRunner,
  ImageRefusedError,
  type ResolvedImage,
  type TaskRunOutcome,
} from "../containers/runner.ts";
import { paths } from "../governance/layout.ts";
import type { BenchmarkFolder, GovernanceIndex } from "../governance/loader.ts";
import type { Benchmark, ContainerReference, Model, Result } from "../governance/types.ts";
import {
  type EvaluatorOutput,
  metricKeyPath,
  pendingResult,
  readEvaluatorOutput,
  unpoolable,
  valueAt,
} from "../results/build-result.ts";
import { Outbox, type OutboxEntry, outboxEntryId } from "../results/outbox.ts";
import { precisionOf, roundToPrecision } from "../results/precision.ts";
import { AdditionalFiles } from "./additional-files.ts";
import { ContainerImages } from "./container-image.ts";
import { type EvaluationRun, inferAndEvaluate, outcomeLine, readContainerYaml } from "./container-task.ts";
import { describeHardware, type Hardware } from "./hardware.ts";
import { type Plan, type PlannedTriple, planSite } from "./plan.ts";
import { caseCount, type LocalDataset, readLocalDataset } from "./prepare.ts";
import { type LeftoverFilter, type SiteLimits, TRIPLE_LABEL, WORKSPACE_LABEL } from "./runners.ts";
import { requireSite } from "./site-governance.ts";
import { runOnSlurm, type SlurmOptions, tripleId } from "./slurm.ts";
import { type DatasetHash, hashDatasetTree } from "./tree-hash.ts";
import type { TripleOutcome, TripleStatus } from "./triple-outcome.ts";

export type { TripleOutcome, TripleStatus } from "./triple-outcome.ts";

export interface RunRequest {
  index: GovernanceIndex;
  site: string;
  benchmark?: string;
  model?: string;
  runner: ContainerRunner;
  limits: SiteLimits;
  ignoreModelErrors?: boolean;
  workspace: SiteWorkspace;
  logger: Logger;
  /** HTTPS_PROXY and friends, for fetching additional files. */
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
  signal?: AbortSignal;
  /** Default: describeHardware, naming GPUs when the run asked for them. */
  hardware?: () => Promise<Hardware>;
  lock?: LockOptions;
  /** Removes containers a killed run of this workspace left (docker runner); called once the lock is held. */
  removeLeftovers?: (which: LeftoverFilter) => Promise<number>;
  /** How many triples run at once; default 1 (in plan order). */
  parallel?: number;
  /**
   * Only this triple (`benchmark/dataset/model`, slurm.ts's tripleId), under its own lock instead
   * of the site's: what a Slurm job runs, several at once. Nothing to do when it is not planned.
   */
  triple?: string;
  /** Run the triples as Slurm jobs instead of here. */
  slurm?: SlurmOptions;
  /** Called as each triple ends, with how many ended before it (for progress output). */
  onTriple?: (outcome: TripleOutcome, index: number, total: number) => void;
}

export interface RunReport {
  runId: string;
  governanceCommit: string;
  plan: Plan;
  outcomes: TripleOutcome[];
  interrupted: boolean;
  /** The pid of a killed run whose stale lock was taken over. */
  tookOverLockFrom?: number;
  /** Containers left by a killed run and removed before this one started. */
  leftoversRemoved: number;
}

/** Runs the site's plan; throws only for what stops every triple (lock, git, Docker Engine). */
export async function runSite(req: RunRequest): Promise<RunReport> {
  const now = req.now ?? (() => new Date());
  requireSite(req.index, req.site);
  const slots = gpuSlots(req.limits, req.parallel ?? 1);
  const lock = req.triple
    ? await acquireSiteLock(tripleLockPath(req.workspace, req.triple), `triple ${req.triple}`, req.lock)
    : await acquireSiteLock(req.workspace.lock, `site workspace ${req.workspace.root}`, req.lock);
  const images = new ContainerImages({
    runner: req.runner,
    downloads: req.workspace.imageArchives,
    env: req.env ?? {},
    logger: req.logger,
    access: { site: getOrThrow(req.index.sites, req.site, "site").data, keys: req.workspace.keys },
  });
  try {
    const outbox = new Outbox(req.workspace.outbox);
    // independent: git, the Docker Engine, the outbox folder (all settle before the lock is released)
    const [governanceCommit, leftoversRemoved, entries] = await settled([
      governanceCommitOf(req.index.root),
      // a run of one triple removes only that triple's; a site run leaves those of triples another run holds
      req.removeLeftovers?.(
        req.triple
          ? { triple: req.triple }
          : { busy: (t) => lockIsHeld(tripleLockPath(req.workspace, t), req.lock) },
      ) ?? 0,
      outbox.listWithSent(),
    ] as const);
    const plan = await planSite({
      index: req.index,
      site: req.site,
      workspace: req.workspace,
      outbox: entries,
      benchmark: req.benchmark,
      model: req.model,
    });
    if (req.triple) plan.triples = plan.triples.filter((t) => tripleId(t) === req.triple);
    const startedAt = now();
    const runId = newRunId(startedAt);
    const report: RunReport = {
      runId,
      governanceCommit,
      plan,
      outcomes: [],
      interrupted: false,
      tookOverLockFrom: lock.tookOverFrom,
      leftoversRemoved,
    };
    if (!plan.triples.length) return report;
    if (req.slurm) {
      report.outcomes = await runOnSlurm(
        req.slurm,
        plan.triples,
        join(req.workspace.runs, runId),
        req.signal,
        req.onTriple,
      );
      report.interrupted = report.outcomes.some((o) => o.status === "interrupted");
      return report;
    }
    await requireRoomForTriples(req, Math.min(slots.length, plan.triples.length));
    const context: RunContext = {
      req,
      now,
      runId,
      governanceCommit,
      outbox,
      hardware: await (
        req.hardware ?? (() => describeHardware({ gpus: req.limits.limits.gpus !== undefined }))
      )(),
      images,
      hashes: new Map(),
      tripleLocks: !req.triple,
      startedAt: isoSeconds(startedAt),
      additionalFiles: new AdditionalFiles({
        cache: req.workspace.additionalFiles,
        env: req.env ?? {},
        logger: req.logger,
      }),
    };
    report.outcomes = await runTriples(context, plan.triples, slots);
    report.interrupted = report.outcomes.some((o) => o.status === "interrupted");
    return report;
  } finally {
    await images.dispose();
    await lock.release();
  }
}

/**
 * Runs the triples, up to `parallel` at once, each slot with its own limits (gpuSlots); outcomes
 * come back in plan order. An error that stops every triple (Docker Engine gone) starts no further
 * triple, lets the running ones end, and is thrown.
 */
async function runTriples(
  ctx: RunContext,
  triples: PlannedTriple[],
  slots: SiteLimits[],
): Promise<TripleOutcome[]> {
  const { req } = ctx;
  const outcomes: TripleOutcome[] = [];
  const running = new Map<number, PlannedTriple>();
  let next = 0;
  let ended = 0;
  let stopped = false;
  const showProgress = () => {
    if (slots.length === 1 || !running.size) return;
    const names = [...running.values()].map((t) => `${t.model} on ${t.dataset}`);
    req.logger.progress?.(`${ended}/${triples.length} done; running ${names.join(", ")}`);
  };
  const worker = async (limits: SiteLimits) => {
    while (next < triples.length && !stopped) {
      const i = next++;
      const triple = triples[i] as PlannedTriple;
      let outcome: TripleOutcome;
      if (req.signal?.aborted) {
        outcome = {
          ...ids(triple),
          status: "interrupted",
          message: "not started: the run was interrupted",
          dropped: 0,
          logFile: "",
        };
      } else {
        running.set(i, triple);
        showProgress();
        try {
          outcome = await runTriple(ctx, triple, limits, slots.length === 1);
        } catch (e) {
          stopped = true;
          throw e;
        } finally {
          running.delete(i);
        }
      }
      outcomes[i] = outcome;
      req.onTriple?.(outcome, ended++, triples.length);
      showProgress();
    }
  };
  await settled(slots.map(worker));
  return outcomes;
}

/**
 * The limits of each of `parallel` slots. When `--gpus` lists devices, each slot gets its own
 * (device i goes to slot i mod parallel), so no two triples share a GPU; fewer devices than slots
 * is refused. `all` or a count is passed to every slot as it is (the engine picks the GPUs).
 */
export function gpuSlots(site: SiteLimits, parallel: number): SiteLimits[] {
  if (!Number.isInteger(parallel) || parallel < 1)
    throw new UsageError(`--parallel: expected a whole number of triples, 1 or more; got ${parallel}`);
  const { gpus } = site.limits;
  if (parallel === 1 || gpus === undefined || typeof gpus !== "object") return Array(parallel).fill(site);
  const { deviceIds } = gpus;
  if (deviceIds.length < parallel) {
    throw new UsageError(
      `--parallel ${parallel} with --gpus device=${deviceIds.join(",")}: each triple running at once needs its own GPU; list at least ${parallel} devices or lower --parallel`,
    );
  }
  return Array.from({ length: parallel }, (_, slot) => ({
    ...site,
    limits: { ...site.limits, gpus: { deviceIds: deviceIds.filter((_, d) => d % parallel === slot) } },
  }));
}

/** Room for the logs and the outbox entry of a triple, besides what its tasks write. */
const TRIPLE_OVERHEAD_BYTES = 16 * 2 ** 20;

/**
 * Before anything runs: the disk under the workspace must hold what the triples running at once
 * may write (each: its infer and evaluate outputs, up to the output limit each, its log and entry;
 * a triple's scratch folder is removed once its result is in the outbox).
 */
async function requireRoomForTriples(req: RunRequest, atOnce: number): Promise<void> {
  const limit = req.limits.limits.outputBytes;
  await requireRoom(
    req.workspace.root,
    atOnce * (2 * limit + TRIPLE_OVERHEAD_BYTES),
    `a run (${atOnce > 1 ? `${atOnce} triples at once, each with ` : ""}a model's predictions and the evaluator's results, each up to the ${formatBytes(limit)} output limit, and the log)`,
    "free space there, set FEDEVAL_HOME to a folder on a larger disk, or lower the output limit with --max-output",
  );
}

interface RunContext {
  req: RunRequest;
  now: () => Date;
  runId: string;
  governanceCommit: string;
  outbox: Outbox;
  hardware: Hardware;
  /** Each image is checked (and an archive loaded) once per run. */
  images: ContainerImages;
  /** Each dataset is hashed once per run. */
  hashes: Map<string, Promise<DatasetHash>>;
  additionalFiles: AdditionalFiles;
  /** Whether each triple takes its own lock (a run of one triple holds it already). */
  tripleLocks: boolean;
  /** When this run planned (ISO, seconds): outbox entries since then were written by other runs. */
  startedAt: string;
}

/** The lock of one triple: a Slurm job running it holds it, and so does a local run while it runs it. */
function tripleLockPath(ws: SiteWorkspace, triple: string): string {
  return join(ws.root, "locks", `${triple.replaceAll("/", "--")}.lock`);
}

/**
 * Takes the triple's lock (a local run beside Slurm jobs of the same workspace), and checks under
 * it that no other run wrote its result meanwhile. Returns the lock, or why the triple is skipped.
 */
async function lockTriple(ctx: RunContext, triple: PlannedTriple): Promise<SiteLock | string | undefined> {
  if (!ctx.tripleLocks) return undefined;
  const id = tripleId(triple);
  let lock: SiteLock;
  try {
    lock = await acquireSiteLock(tripleLockPath(ctx.req.workspace, id), `triple ${id}`, ctx.req.lock);
  } catch (e) {
    if (e instanceof UserError) return e.message;
    throw e;
  }
  const done = (await ctx.outbox.list()).find(
    (e) =>
      e.run_id !== ctx.runId &&
      e.created_at >= ctx.startedAt &&
      tripleId({ ...e.result, benchmark: e.result.benchmark.id }) === id,
  );
  if (!done) return lock;
  await lock.release();
  return `another run wrote its result meanwhile (${done.id})`;
}

const ids = (t: { benchmark: string; model: string; dataset: string }) => ({
  benchmark: t.benchmark,
  model: t.model,
  dataset: t.dataset,
});

/** One triple as it runs: what it runs, where it writes, and how it ends. */
interface TripleTask {
  triple: PlannedTriple;
  folder: BenchmarkFolder;
  benchmark: Benchmark;
  model: Model;
  /** The site's limits, with this triple's GPUs. */
  limits: SiteLimits;
  /** The containers' output. */
  logFile: string;
  /** Predictions, parameters and results.yaml; removed once the result is in the outbox. */
  scratch: string;
  end: (status: TripleStatus, message: string, extra?: Partial<TripleOutcome>) => TripleOutcome;
}

/** The triple's inputs, checked: the prepared data unchanged, both images allowed. */
interface CheckedInputs {
  local: LocalDataset;
  modelImage: ResolvedImage;
  evaluatorImage: ResolvedImage;
  /** Host folders of the model's and the evaluator's additional files, when they declare any. */
  modelFiles?: string;
  evaluatorFiles?: string;
  /** Cases in the prepared data. */
  cases: number;
}

async function runTriple(
  ctx: RunContext,
  triple: PlannedTriple,
  limits: SiteLimits,
  serial: boolean,
): Promise<TripleOutcome> {
  const lock = await lockTriple(ctx, triple);
  if (typeof lock === "string") return tripleTask(ctx, triple, limits).end("failed", `not run: ${lock}`);
  try {
    return await runLockedTriple(ctx, triple, limits, serial);
  } finally {
    await lock?.release();
  }
}

async function runLockedTriple(
  ctx: RunContext,
  triple: PlannedTriple,
  limits: SiteLimits,
  serial: boolean,
): Promise<TripleOutcome> {
  const { req } = ctx;
  const task = tripleTask(ctx, triple, limits);
  // run in parallel, the progress line says what runs (terminal only)
  if (serial) req.logger.info(`${triple.benchmark}: model ${triple.model} on dataset ${triple.dataset}`);
  let evaluation: EvaluationRun;
  let cases: number;
  try {
    const inputs = await checkInputs(ctx, task);
    if ("status" in inputs) return inputs;
    cases = inputs.cases;
    evaluation = await runContainers(ctx, task, inputs);
  } catch (e) {
    // a task that cannot be set up (definition without the task, a mount fedeval cannot fill)
    if (e instanceof UserError) return task.end("failed", e.message);
    throw e;
  }
  if (req.signal?.aborted) return task.end("interrupted", "interrupted: no result was written");
  const provenance = provenanceOf(ctx, triple, evaluation);
  const { infer, evaluate } = evaluation;
  if (!evaluate) return modelFailed(ctx, task, infer, cases, provenance);
  if (evaluate.status !== "ok")
    return task.end("failed", `evaluator failed: ${outcomeLine(evaluate, "evaluate")}`);
  return keepEvaluatorOutput(ctx, task, evaluation, cases, provenance);
}

function tripleTask(ctx: RunContext, triple: PlannedTriple, limits: SiteLimits): TripleTask {
  const name = `${triple.benchmark}--${triple.dataset}--${triple.model}`;
  const logFile = join(ctx.req.workspace.runs, ctx.runId, `${name}.log`);
  const folder = getOrThrow(ctx.req.index.benchmarks, triple.benchmark, "planned benchmark");
  const model = folder.models.get(triple.model)?.data;
  if (!model) throw new Error(`planned model ${triple.model} is not in the index`);
  return {
    triple,
    folder,
    benchmark: folder.benchmark?.data as Benchmark,
    model,
    limits,
    logFile,
    scratch: join(ctx.req.workspace.runs, ctx.runId, name),
    end: (status, message, extra = {}) => ({
      ...ids(triple),
      status,
      message,
      dropped: 0,
      logFile,
      ...extra,
    }),
  };
}

/** Checks the prepared data against its registered hash and the images against their pins. */
async function checkInputs(ctx: RunContext, task: TripleTask): Promise<CheckedInputs | TripleOutcome> {
  const { triple, end } = task;
  const local = await readLocalDataset(ctx.req.workspace, triple.benchmark, triple.dataset);
  if (!local) return end("failed", "the prepared dataset is no longer in this workspace");
  const key = `${triple.benchmark}/${triple.dataset}`;
  let hashing = ctx.hashes.get(key);
  if (!hashing) {
    hashing = hashDatasetTree(local.paths.prepared);
    ctx.hashes.set(key, hashing);
  }
  // the checks are independent: they run together, and are reported in this order
  const root = ctx.req.index.root;
  const files = (ref: ContainerReference, role: string) =>
    ctx.additionalFiles.folder({ root, benchmark: triple.benchmark, ref, role }).catch((e: unknown) => {
      if (e instanceof UserError || e instanceof ExternalError) return { refused: e.message };
      throw e;
    });
  const [hash, modelImage, evaluatorImage, statistics, modelFiles, evaluatorFiles] = await settled([
    hashing,
    image(ctx, task.folder, task.model.container, `model ${triple.model}`, task.model),
    image(ctx, task.folder, task.benchmark.containers.evaluator, "the evaluator"),
    readContainerYaml(local.paths.statistics, "statistics.yaml"),
    files(task.model.container, `model ${triple.model} (${paths.model(triple.benchmark, triple.model)})`),
    files(task.benchmark.containers.evaluator, `the evaluator (${paths.benchmark(triple.benchmark)})`),
  ] as const);
  if (hash.hash !== triple.inputs.dataset_hash) {
    return end(
      "failed",
      `the prepared data changed since it was registered (hash differs); see \`fedeval dataset check --benchmark ${triple.benchmark} --site ${ctx.req.site} --name ${triple.dataset}\``,
    );
  }
  if (typeof modelImage === "string") return end("failed", `model image refused: ${modelImage}`);
  if (typeof evaluatorImage === "string") return end("failed", `evaluator image refused: ${evaluatorImage}`);
  if (typeof modelFiles === "object") return end("failed", modelFiles.refused);
  if (typeof evaluatorFiles === "object") return end("failed", evaluatorFiles.refused);
  const cases = await caseCount(
    "data" in statistics ? (statistics.data as Record<string, unknown>) : {},
    local.paths.data,
  );
  return { local, modelImage, evaluatorImage, modelFiles, evaluatorFiles, cases };
}

/** `infer` with the model, then `evaluate` with the evaluator. */
function runContainers(ctx: RunContext, task: TripleTask, inputs: CheckedInputs): Promise<EvaluationRun> {
  const { req } = ctx;
  return inferAndEvaluate({
    runner: req.runner,
    limits: task.limits,
    root: req.index.root,
    folder: task.folder,
    model: { ref: task.model.container, image: inputs.modelImage, additionalFiles: inputs.modelFiles },
    evaluator: {
      ref: task.benchmark.containers.evaluator,
      image: inputs.evaluatorImage,
      additionalFiles: inputs.evaluatorFiles,
    },
    data: inputs.local.paths.data,
    labels: inputs.local.paths.labels,
    scratch: task.scratch,
    localOutputs: req.workspace.localOutputs(
      task.triple.benchmark,
      task.triple.dataset,
      task.triple.model,
      ctx.runId,
    ),
    logFile: task.logFile,
    containerLabels: {
      "fedeval.run": ctx.runId,
      [WORKSPACE_LABEL]: req.workspace.root,
      [TRIPLE_LABEL]: tripleId(task.triple),
    },
    signal: req.signal,
    now: ctx.now,
  });
}

function provenanceOf(
  ctx: RunContext,
  triple: PlannedTriple,
  evaluation: EvaluationRun,
): Result["provenance"] {
  return {
    governance_commit: ctx.governanceCommit,
    images: triple.inputs.images,
    ...(triple.inputs.additional_files && { additional_files: triple.inputs.additional_files }),
    dataset_hash: triple.inputs.dataset_hash,
    tool: `fedeval ${FEDEVAL_VERSION}`,
    started_at: isoSeconds(evaluation.startedAt),
    finished_at: isoSeconds(evaluation.finishedAt),
    hardware: ctx.hardware,
    isolation: ctx.req.runner.isolation,
  };
}

/** The model failed: no result, or with `ignoreModelErrors` a partial one (every metric null). */
async function modelFailed(
  ctx: RunContext,
  task: TripleTask,
  infer: TaskRunOutcome,
  cases: number,
  provenance: Result["provenance"],
): Promise<TripleOutcome> {
  const failure = `model failed: ${outcomeLine(infer, "infer")}`;
  if (!ctx.req.ignoreModelErrors) return task.end("failed", failure);
  const { benchmark, triple } = task;
  const output: EvaluatorOutput = {
    n: cases,
    metrics: Object.fromEntries(
      benchmark.metrics.map((m) => [m.id, { value: null, reason: "model-error" as const }]),
    ),
    subgroups: [],
    dropped: [],
  };
  const errors: NonNullable<Result["errors"]> = ["model-error"];
  if (infer.status === "timeout" || infer.status === "oom") errors.push(infer.status);
  const result = pendingResult(benchmark, ids(triple), output, provenance, { partial: true, errors });
  const entry = await addEntry(ctx, triple, result, [], [failure]);
  return task.end("partial", `${failure}; partial result pending as ${entry}`, { entry });
}

/**
 * Keeps the benchmark's declared metrics from results.yaml (dropped fields go to the log by path,
 * never by value), fills the latency metric, and adds the pending result to the outbox.
 */
async function keepEvaluatorOutput(
  ctx: RunContext,
  task: TripleTask,
  evaluation: EvaluationRun,
  cases: number,
  provenance: Result["provenance"],
): Promise<TripleOutcome> {
  const { benchmark, triple, end } = task;
  const read = await readContainerYaml(evaluation.resultsFile, "results.yaml");
  if ("problem" in read) return end("failed", `evaluator output refused: ${read.problem}`);
  const output = readEvaluatorOutput(benchmark, read.data, cases);
  if (output.dropped.length) {
    const lines = output.dropped.map(
      (d) => `fedeval: dropped from results.yaml: ${d.path || "(whole file)"}: ${d.why}`,
    );
    await appendFile(task.logFile, `${lines.join("\n")}\n`);
  }
  const { infer } = evaluation;
  // a model chooses its own timing: rounded like every other number it could hide bits in
  const latency =
    output.n > 0
      ? roundToPrecision(
          infer.durationMs / output.n,
          precisionOf(benchmark.metrics.find((m) => m.id === "latency_ms_per_case")),
        )
      : undefined;
  if (latency !== undefined) {
    provenance.latency_ms_per_case = latency;
    fillLatencyMetric(benchmark, output, read.data, latency);
  }
  const gaps = unpoolable(benchmark, output);
  if (gaps.length) {
    return end(
      "failed",
      `evaluator output refused: it cannot be pooled as benchmark ${benchmark.id} declares: ${gaps.join("; ")}`,
      { dropped: output.dropped.length },
    );
  }
  const failedMetrics = benchmark.metrics.filter((m) => output.metrics[m.id]?.reason === "evaluator-error");
  if (failedMetrics.length === benchmark.metrics.length) {
    return end(
      "failed",
      `evaluator output refused: none of the ${benchmark.metrics.length} declared metrics is usable (${output.dropped.length} fields dropped; their paths are in the log)`,
      { dropped: output.dropped.length },
    );
  }
  const result = pendingResult(
    benchmark,
    ids(triple),
    output,
    provenance,
    failedMetrics.length ? { errors: ["evaluator-error"] } : {},
  );
  const entry = await addEntry(ctx, triple, result, output.dropped, []);
  await rm(task.scratch, { recursive: true, force: true });
  const dropped = output.dropped.length;
  const notes = [
    failedMetrics.length
      ? `${failedMetrics.length} metric${failedMetrics.length > 1 ? "s" : ""} missing`
      : "",
    dropped ? `${dropped} field${dropped > 1 ? "s" : ""} of results.yaml dropped` : "",
  ].filter(Boolean);
  return end(
    "ok",
    `result pending as ${entry}${notes.length ? ` (${notes.join(", ")}; see \`fedeval outbox show\`)` : ""}`,
    {
      entry,
      dropped,
    },
  );
}

/**
 * A benchmark may declare the efficiency metric `latency_ms_per_case`; an evaluator cannot
 * measure it, so fedeval fills it from the infer time when the evaluator did not write it.
 */
function fillLatencyMetric(
  benchmark: Benchmark,
  output: EvaluatorOutput,
  raw: unknown,
  latency: number,
): void {
  const id = "latency_ms_per_case";
  const spec = benchmark.metrics.find((m) => m.id === id);
  if (!spec || (spec.range && (latency < spec.range[0] || latency > spec.range[1]))) return;
  const rawMetrics = (raw as { metrics?: unknown } | null)?.metrics ?? raw;
  if (valueAt(rawMetrics, metricKeyPath(spec)) === undefined) output.metrics[id] = { value: latency };
}

/**
 * Awaits every promise, then throws the first rejection in list order (Promise.all would leave the
 * others running, and throw whichever failed first).
 */
async function settled<T extends readonly unknown[]>(
  promises: T,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const results = await Promise.allSettled(promises);
  for (const r of results) if (r.status === "rejected") throw r.reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as {
    -readonly [K in keyof T]: Awaited<T[K]>;
  };
}

/** The image, or why it is refused (the refusal fails the triple, not the run). */
async function image(
  ctx: RunContext,
  folder: BenchmarkFolder,
  ref: ContainerReference,
  role: string,
  model?: Model,
): Promise<ResolvedImage | string> {
  return ctx.images.image(folder, ref, role, model).catch((e: unknown) => {
    if (e instanceof ImageRefusedError) return e.message;
    throw e;
  });
}

async function addEntry(
  ctx: RunContext,
  triple: PlannedTriple,
  result: OutboxEntry["result"],
  dropped: OutboxEntry["dropped"],
  notes: string[],
): Promise<string> {
  const id = outboxEntryId(triple.benchmark, triple.dataset, triple.model, ctx.runId);
  const entry: OutboxEntry = {
    id,
    state: "pending",
    site: ctx.req.site,
    run_id: ctx.runId,
    created_at: isoSeconds(ctx.now()),
    result,
    dropped,
  };
  if (notes.length) entry.notes = notes;
  await ctx.outbox.add(entry);
  return id;
}

/**
 * The governance commit results record: `git rev-parse HEAD` of the governance root. Refused
 * when the root is not a git work tree, or when files under sites/ or benchmarks/ differ from that
 * commit (the result would name a commit it did not run from).
 */
export async function governanceCommitOf(root: string): Promise<string> {
  const [head, status] = await Promise.allSettled([
    gitText(root, ["rev-parse", "HEAD"]),
    gitText(root, ["status", "--porcelain", "--untracked-files=all", "--", "sites", "benchmarks"]),
  ]);
  if (head.status === "rejected") {
    throw new UserError(
      `${root} is not a git clone of the governance repository (or has no commit): results record the commit they ran from, so run from a clone`,
    );
  }
  if (status.status === "rejected") {
    const e = status.reason as Error;
    throw new ExternalError(
      `git status failed in ${root}: ${e.message.split("\n")[0]}`,
      "check the clone with `git status`",
      { cause: e },
    );
  }
  const changed = status.value.split("\n").filter(Boolean).length;
  if (changed) {
    throw new UserError(
      `the governance repository has ${changed} uncommitted change${changed > 1 ? "s" : ""} under sites/ or benchmarks/ (see \`git status\`): commit or discard them, so results name the commit they ran from`,
    );
  }
  return head.value.trim();
}
