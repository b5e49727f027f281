/**
 * Dataset preparation at a site (`fedeval dataset prepare`) and its check (`fedeval dataset check`).
 *
 * Preparation is MedPerf's (commands/dataset/prepare.py): the benchmark's preparation container
 * on the site's raw data, `prepare` → `sanity_check` → `statistics`; then fedeval hashes the
 * prepared data and writes what the site would propose:
 *
 *   <site workspace>/datasets/<benchmark>/<dataset>/
 *     prepared/data/ prepared/labels/   the prepared data and labels: the hashed tree
 *     statistics.yaml                   every statistic the container reported (stays here)
 *     manifest.json                     path, size and mtime of every prepared file (for `check`)
 *     dataset.yaml                      the association: published statistics only
 *
 * The hashed tree holds exactly the two prepared folders, so its `medperf_uid` equals MedPerf's
 * `generated_uid` of the same data. Everything is built in a temporary folder beside the final
 * one and renamed into place at the end: a failed or interrupted preparation leaves no dataset
 * (only its log under `runs/`).
 *
 * Published statistics: only keys the benchmark lists in `statistics_published`, each a count or a
 * map of category → count; category counts between 1 and `subgroups.min_cell - 1` are suppressed
 * (left out). Everything else stays in the workspace's statistics.yaml.
 *
 * The reference test is a separate step (MedPerf's association test, commands/dataset/
 * associate_benchmark.py): the benchmark's reference model and evaluator on the prepared data.
 * It adds `reference_result` to the workspace's dataset.yaml when it passes; when it fails it
 * reports why and changes nothing: the prepared data stay, and `dataset register` refuses an
 * association without a reference result.
 */

import { randomBytes } from "node:crypto";
import { lstat, mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../base/atomic-write.ts";
import { UserError } from "../base/errors.ts";
import type { Logger } from "../base/logger.ts";
import { isoSeconds, newRunId } from "../base/run-id.ts";
import type { SiteWorkspace } from "../base/workspace.ts";
import type { ContainerRunner } from "../containers/runner.ts";
import { validateSchema } from "../formats/schema-registry.ts";
import { parseYaml } from "../formats/yaml-source.ts";
import { governanceFileText } from "../governance/governance-file.ts";
import { paths, SLUG } from "../governance/layout.ts";
import type { BenchmarkFolder, GovernanceIndex } from "../governance/loader.ts";
import type { Benchmark, ContainerReference, Dataset } from "../governance/types.ts";
import { unpoolable } from "../results/build-result.ts";
import { AdditionalFiles } from "./additional-files.ts";
import { ContainerImages } from "./container-image.ts";
import {
  type ContainerRole,
  evaluateModel,
  outcomeLine,
  readContainerYaml,
  runContainerTask,
  type TaskSetting,
} from "./container-task.ts";
import type { SiteLimits } from "./runners.ts";
import { requireSite } from "./site-governance.ts";
import { type DatasetHash, hashDatasetTree, listDatasetFiles } from "./tree-hash.ts";

/** Where a prepared dataset lives in the site workspace. */
export interface PreparedPaths {
  dir: string;
  /** The hashed tree: data/ and labels/. */
  prepared: string;
  data: string;
  labels: string;
  statistics: string;
  /** What `prepare` writes at metadata_path and `sanity_check` and `statistics` read (not hashed). */
  metadata: string;
  manifest: string;
  association: string;
}

export function preparedPaths(site: SiteWorkspace, benchmark: string, dataset: string): PreparedPaths {
  return pathsIn(site.dataset(benchmark, dataset));
}

function pathsIn(dir: string): PreparedPaths {
  const prepared = join(dir, "prepared");
  return {
    dir,
    prepared,
    data: join(prepared, "data"),
    labels: join(prepared, "labels"),
    statistics: join(dir, "statistics.yaml"),
    metadata: join(dir, "metadata"),
    manifest: join(dir, "manifest.json"),
    association: join(dir, "dataset.yaml"),
  };
}

/** A dataset prepared in this workspace: its association as written at preparation. */
export interface LocalDataset {
  paths: PreparedPaths;
  association: Dataset;
}

/** The prepared dataset in the workspace, or undefined when it was not prepared here. */
export async function readLocalDataset(
  site: SiteWorkspace,
  benchmark: string,
  dataset: string,
): Promise<LocalDataset | undefined> {
  const p = preparedPaths(site, benchmark, dataset);
  let text: string;
  try {
    text = await readFile(p.association, "utf8");
  } catch {
    return undefined;
  }
  const parsed = parseYaml(text, p.association);
  const isDir = await stat(p.prepared).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!parsed.source || !isDir) {
    throw new UserError(
      `the prepared dataset in ${p.dir} is damaged; delete that folder and prepare it again`,
    );
  }
  return { paths: p, association: parsed.source.data as Dataset };
}

export interface PublishedStatistics {
  /** What goes into the association. */
  published: Dataset["statistics"];
  /** Keys kept in the workspace only: not listed by the benchmark. */
  local: string[];
  /** Listed keys whose value cannot be published (not a count or a map of counts), with why. */
  refused: { key: string; why: string }[];
  /** `key.category` cells left out because their count is under the minimum cell size. */
  suppressed: string[];
}

const STAT_KEY = /^[a-z][a-z0-9_]{0,62}$/;
const CATEGORY = /^[A-Za-z0-9][A-Za-z0-9 ._+<>=-]{0,63}$/;
const isCount = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0;

/** Splits what the statistics task reported into what the benchmark publishes and what stays here. */
export function publishedStatistics(
  benchmark: Benchmark,
  statistics: Record<string, unknown>,
): PublishedStatistics {
  const listed = new Set(benchmark.statistics_published ?? []);
  const minCell = benchmark.subgroups?.min_cell ?? 1;
  const out: PublishedStatistics = { published: {}, local: [], refused: [], suppressed: [] };
  for (const [key, value] of Object.entries(statistics)) {
    if (!listed.has(key)) {
      out.local.push(key);
      continue;
    }
    if (!STAT_KEY.test(key)) out.refused.push({ key, why: "not a valid statistic key" });
    else if (isCount(value)) out.published[key] = value;
    else if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      const entries = Object.entries(value);
      const declared = benchmark.subgroups?.cells[key];
      if (!entries.every(([c, n]) => CATEGORY.test(c) && isCount(n))) {
        out.refused.push({ key, why: "not a map of short category names to counts" });
        continue;
      }
      if (declared && !entries.every(([c]) => declared.includes(c))) {
        out.refused.push({ key, why: "categories the benchmark does not declare as cells of this stratum" });
        continue;
      }
      const cells: Record<string, number> = {};
      for (const [category, n] of entries as [string, number][]) {
        if (n > 0 && n < minCell) out.suppressed.push(`${key}.${category}`);
        else if (n > 0) cells[category] = n; // an empty category tells nothing but its label
      }
      out.published[key] = cells;
    } else out.refused.push({ key, why: "not a count or a map of counts" });
  }
  return out;
}

export interface PrepareRequest {
  index: GovernanceIndex;
  benchmark: string;
  site: string;
  dataset: string;
  /** Absolute paths of the raw data and labels. */
  data: string;
  labels: string;
  /** GitHub login recorded as `requested_by`. */
  requestedBy?: string;
  runner: ContainerRunner;
  limits: SiteLimits;
  workspace: SiteWorkspace;
  logger: Logger;
  /** HTTPS_PROXY and friends, for fetching additional files. */
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
  signal?: AbortSignal;
}

export type PrepareStep = "prepare" | "sanity_check" | "statistics";

export type PrepareOutcome =
  | {
      ok: true;
      paths: PreparedPaths;
      association: Dataset;
      /** Everything the statistics task reported (stays local). */
      statistics: Record<string, unknown>;
      split: PublishedStatistics;
      hash: DatasetHash;
      logFile: string;
    }
  | { ok: false; step: PrepareStep; message: string; logTail: string[]; logFile: string };

const PRINCIPAL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\/[A-Za-z0-9._-]+)?$/;

/** Prepares a dataset; a failed step is an outcome (`ok: false`), a wrong request a UserError. */
export async function prepareDataset(req: PrepareRequest): Promise<PrepareOutcome> {
  const now = req.now ?? (() => new Date());
  const { folder, benchmark } = benchmarkOf(req.index, req.benchmark);
  requireSite(req.index, req.site);
  if (!SLUG.test(req.dataset)) {
    throw new UserError(
      `--name "${req.dataset}" is not a valid dataset id (lowercase letters, digits and "-", at most 63 characters)`,
    );
  }
  if (req.requestedBy !== undefined && !PRINCIPAL.test(req.requestedBy)) {
    throw new UserError(`--as "${req.requestedBy}" is not a GitHub login`);
  }
  const registered = folder.datasets.get(req.dataset)?.data;
  if (registered && registered.site !== req.site) {
    throw new UserError(
      `dataset id "${req.dataset}" is already used by site ${registered.site} in benchmark ${req.benchmark}; choose another --name`,
    );
  }
  const final = preparedPaths(req.workspace, req.benchmark, req.dataset);
  if (await exists(final.dir)) {
    throw new UserError(
      `dataset ${req.dataset} is already prepared in ${final.dir}; choose another --name, or delete that folder to prepare it again`,
    );
  }
  for (const [flag, dir] of [
    ["--data", req.data],
    ["--labels", req.labels],
  ] as const) {
    const s = await stat(dir).catch(() => undefined);
    if (!s?.isDirectory()) throw new UserError(`${flag} ${dir} is not a directory`);
  }

  const runId = newRunId(now());
  const runDir = join(req.workspace.runs, runId);
  const logFile = join(runDir, "prepare.log");
  const tmp = pathsIn(
    join(req.workspace.datasets, req.benchmark, `.tmp-${req.dataset}-${randomBytes(4).toString("hex")}`),
  );
  const containers = benchmark.containers;
  const containerLabels = { "fedeval.run": runId, "fedeval.site": req.site };

  try {
    req.logger.info(`checking the preparation image of benchmark ${req.benchmark}`);
    const prepImage = await containerImages(req).image(folder, containers.preparation, "the preparation");
    const prepFiles = await additionalFiles(req).folder({
      root: req.index.root,
      benchmark: req.benchmark,
      ref: containers.preparation,
      role: `the preparation (${paths.benchmark(req.benchmark)})`,
    });
    await mkdir(tmp.data, { recursive: true });
    await mkdir(tmp.labels, { recursive: true });
    const preparation = await runPreparation({
      runner: req.runner,
      limits: req.limits,
      root: req.index.root,
      folder,
      preparation: { ref: containers.preparation, image: prepImage, additionalFiles: prepFiles },
      raw: { data: req.data, labels: req.labels },
      out: tmp,
      runDir,
      logFile,
      containerLabels,
      signal: req.signal,
      logger: req.logger,
    });
    if (!preparation.ok) return { ...preparation, logFile };
    const statistics = preparation.statistics;
    const split = publishedStatistics(benchmark, statistics);

    req.logger.info("hashing the prepared data");
    const hash = await hashDatasetTree(tmp.prepared);
    await writeFile(tmp.manifest, `${JSON.stringify(await manifestOf(tmp.prepared), null, 1)}\n`);
    const association: Dataset = {
      schema: "fedeval/dataset@1",
      id: req.dataset,
      site: req.site,
      prepared_with: containers.preparation.image,
      hash: hash.hash,
      medperf_uid: hash.medperfUid,
      statistics: split.published,
      status: "proposed",
      ...(req.requestedBy ? { requested_by: req.requestedBy } : {}),
      prepared_at: isoSeconds(now()),
    };
    await writeFile(tmp.association, associationText(association));
    await rename(tmp.dir, final.dir);
    return { ok: true, paths: final, association, statistics, split, hash, logFile };
  } finally {
    await rm(tmp.dir, { recursive: true, force: true });
  }
}

/** The images of a benchmark's containers at the site, pinned and checked (container-image.ts). */
function containerImages(req: {
  runner: ContainerRunner;
  workspace: SiteWorkspace;
  env?: NodeJS.ProcessEnv;
  logger: Logger;
}) {
  return new ContainerImages({
    runner: req.runner,
    downloads: req.workspace.imageArchives,
    env: req.env ?? {},
    logger: req.logger,
  });
}

/** The site's cache of containers' additional files (additional-files.ts). */
function additionalFiles(req: { workspace: SiteWorkspace; env?: NodeJS.ProcessEnv; logger: Logger }) {
  return new AdditionalFiles({
    cache: req.workspace.additionalFiles,
    env: req.env ?? {},
    logger: req.logger,
  });
}

/** The association as dataset.yaml text, checked against its schema. */
function associationText(association: Dataset): string {
  const text = governanceFileText("dataset", association);
  const check = parseYaml(text, "dataset.yaml");
  const problems = check.source ? validateSchema("dataset", check.source) : check.diagnostics;
  if (problems.length) throw new Error(`the association fedeval built is invalid: ${problems[0]?.message}`);
  return text;
}

export interface ReferenceTestRequest {
  index: GovernanceIndex;
  benchmark: string;
  site: string;
  dataset: string;
  runner: ContainerRunner;
  limits: SiteLimits;
  workspace: SiteWorkspace;
  logger: Logger;
  /** HTTPS_PROXY and friends, for fetching additional files. */
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
  signal?: AbortSignal;
}

export type ReferenceOutcome =
  | {
      ok: true;
      /** The workspace's association, now with `reference_result`. */
      association: Dataset;
      /** Paths in the evaluator's output that were dropped from the reference result. */
      dropped: { path: string; why: string }[];
      logFile: string;
    }
  | { ok: false; step: "reference model" | "evaluator"; message: string; logTail: string[]; logFile: string };

/**
 * The reference test of a prepared dataset (MedPerf's association test): the benchmark's
 * reference model and evaluator on it. Passing adds `reference_result` to the workspace's
 * dataset.yaml; failing is an outcome that changes nothing (the prepared data stay). A dataset
 * not prepared here is a UserError.
 */
export async function testReferenceModel(req: ReferenceTestRequest): Promise<ReferenceOutcome> {
  const now = req.now ?? (() => new Date());
  const { folder, benchmark } = benchmarkOf(req.index, req.benchmark);
  requireSite(req.index, req.site);
  const local = await readLocalDataset(req.workspace, req.benchmark, req.dataset);
  if (!local) {
    throw new UserError(
      `dataset ${req.dataset} of benchmark ${req.benchmark} is not prepared in this workspace: run \`fedeval dataset prepare\` first`,
    );
  }
  const runId = newRunId(now());
  const runDir = join(req.workspace.runs, runId);
  const logFile = join(runDir, "reference.log");
  const { containers } = benchmark;
  req.logger.info(`checking the reference model and evaluator images of benchmark ${req.benchmark}`);
  const images = containerImages(req);
  const modelImage = await images.image(folder, containers.reference_model, "the reference model");
  const evaluatorImage = await images.image(folder, containers.evaluator, "the evaluator");
  const cache = additionalFiles(req);
  const where = `(${paths.benchmark(req.benchmark)})`;
  const files = (ref: ContainerReference, role: string) =>
    cache.folder({ root: req.index.root, benchmark: req.benchmark, ref, role: `${role} ${where}` });
  const modelFiles = await files(containers.reference_model, "the reference model");
  const evaluatorFiles = await files(containers.evaluator, "the evaluator");
  req.logger.info("running the reference model and the evaluator on the prepared data");
  const statistics = await readContainerYaml(local.paths.statistics, "statistics.yaml");
  const evaluation = await evaluateModel(
    {
      runner: req.runner,
      limits: req.limits,
      root: req.index.root,
      folder,
      model: { ref: containers.reference_model, image: modelImage, additionalFiles: modelFiles },
      evaluator: { ref: containers.evaluator, image: evaluatorImage, additionalFiles: evaluatorFiles },
      data: local.paths.data,
      labels: local.paths.labels,
      scratch: join(runDir, "reference"),
      localOutputs: req.workspace.localOutputs(req.benchmark, req.dataset, "reference-model", runId),
      logFile,
      containerLabels: { "fedeval.run": runId, "fedeval.site": req.site },
      signal: req.signal,
      now,
    },
    benchmark,
    await caseCount(
      "data" in statistics ? (statistics.data as Record<string, unknown>) : {},
      local.paths.data,
    ),
  );
  if (!evaluation.ok) {
    const step = evaluation.task === "infer" ? "reference model" : "evaluator";
    return { ok: false, step, message: evaluation.message, logTail: evaluation.logTail, logFile };
  }
  const { output } = evaluation;
  const gaps = unpoolable(benchmark, output);
  if (gaps.length) {
    const message = `the evaluator's output cannot be pooled as the benchmark declares: ${gaps.join("; ")}`;
    return { ok: false, step: "evaluator", message, logTail: [], logFile };
  }
  const reference: Record<string, number | null> = {};
  for (const m of benchmark.metrics) reference[m.id] = output.metrics[m.id]?.value ?? null;
  const association: Dataset = { ...local.association, reference_result: reference };
  await writeFileAtomic(local.paths.association, associationText(association));
  await rm(join(runDir, "reference"), { recursive: true, force: true });
  return { ok: true, association, dropped: output.dropped, logFile };
}

export interface PreparationRequest extends Omit<TaskSetting, "scratch"> {
  /** The benchmark's preparation container, its image resolved. */
  preparation: ContainerRole;
  /** Raw data and labels folders (read only). */
  raw: { data: string; labels: string };
  /** Where the prepared data, labels, metadata and statistics.yaml go (the data folders exist). */
  out: { data: string; labels: string; metadata: string; statistics: string };
  /** The run's folder: parameters and report.yaml go there. */
  runDir: string;
  logger: Logger;
}

export type PreparationRun =
  | { ok: true; statistics: Record<string, unknown> }
  | { ok: false; step: "prepare" | "sanity_check" | "statistics"; message: string; logTail: string[] };

/**
 * Runs the preparation container's `prepare`, `sanity_check` and `statistics` tasks on raw data
 * with MedPerf's mounts (commands/dataset/prepare.py; `metadata_path` is written by prepare and
 * read by the two others) for `dataset prepare` at a site and the compatibility test on a
 * benchmark's demo data. A failed task is an outcome, not an exception; its message never
 * quotes the container's output.
 */
export async function runPreparation(req: PreparationRequest): Promise<PreparationRun> {
  const setting = { ...req, scratch: req.runDir };
  await mkdir(req.out.metadata, { recursive: true });
  const run = async (name: "prepare" | "sanity_check" | "statistics", mounts: Record<string, string>) => {
    req.logger.info(`running ${name}`);
    const outcome = await runContainerTask(setting, req.preparation, name, {
      metadata_path: req.out.metadata,
      ...mounts,
    });
    return outcome.status === "ok"
      ? undefined
      : { ok: false as const, step: name, message: outcomeLine(outcome, name), logTail: outcome.logTail };
  };
  const prepared = { data_path: req.out.data, labels_path: req.out.labels };
  const failed =
    (await run("prepare", {
      data_path: req.raw.data,
      labels_path: req.raw.labels,
      output_path: req.out.data,
      output_labels_path: req.out.labels,
      report_file: join(req.runDir, "report.yaml"),
    })) ??
    (await run("sanity_check", prepared)) ??
    (await run("statistics", { ...prepared, output_path: req.out.statistics }));
  if (failed) return failed;
  const read = await readContainerYaml(req.out.statistics, "statistics.yaml");
  const statistics = "data" in read ? read.data : undefined;
  if (typeof statistics !== "object" || statistics === null || Array.isArray(statistics)) {
    const message = "problem" in read ? read.problem : "statistics.yaml is not a mapping";
    return { ok: false, step: "statistics", message, logTail: [] };
  }
  return { ok: true, statistics: statistics as Record<string, unknown> };
}

function benchmarkOf(index: GovernanceIndex, id: string): { folder: BenchmarkFolder; benchmark: Benchmark } {
  const folder = index.benchmarks.get(id);
  const benchmark = folder?.benchmark?.data;
  if (!folder || !benchmark) {
    const known = [...index.benchmarks.values()].filter((f) => f.benchmark).map((f) => f.id);
    throw new UserError(
      `no benchmark "${id}" in the governance repository${known.length ? ` (benchmarks: ${known.join(", ")})` : ""}`,
    );
  }
  return { folder, benchmark };
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

/**
 * The number of cases, for an evaluator that does not say `n`: the `num_cases` statistic when the
 * preparation container reports it, else the number of entries in the prepared data folder.
 */
export async function caseCount(statistics: Record<string, unknown>, data: string): Promise<number> {
  const n = statistics.num_cases;
  if (isCount(n)) return n;
  return (await readdir(data)).length;
}

/** Path, size and modification time of every file of the prepared tree. */
interface ManifestEntry {
  path: string;
  size: number;
  mtime_ms: number;
}

async function manifestOf(prepared: string): Promise<ManifestEntry[]> {
  const { root, files } = listDatasetFiles(prepared);
  const out: ManifestEntry[] = [];
  for (const f of files)
    out.push({ path: f.path, size: f.size, mtime_ms: (await stat(join(root, f.path))).mtimeMs });
  return out;
}

export interface DatasetCheck {
  dir: string;
  /** The hash recorded at preparation (the workspace's dataset.yaml). */
  expected: string;
  actual: DatasetHash;
  /** The hash registered in the governance repository, when there is one. */
  registered?: string;
  ok: boolean;
  /** What changed since preparation, as far as names, sizes and modification times tell. */
  changes: { added: string[]; removed: string[]; resized: string[]; modified: string[] };
}

/** Re-hashes a prepared dataset and compares with its preparation (and registration, if given). */
export async function checkDataset(
  site: SiteWorkspace,
  benchmark: string,
  dataset: string,
  registered?: Dataset,
): Promise<DatasetCheck> {
  const local = await readLocalDataset(site, benchmark, dataset);
  if (!local) {
    throw new UserError(
      `dataset ${dataset} of benchmark ${benchmark} is not prepared in this workspace (${preparedPaths(site, benchmark, dataset).dir})`,
    );
  }
  const actual = await hashDatasetTree(local.paths.prepared);
  const expected = local.association.hash;
  const ok = actual.hash === expected && (registered === undefined || registered.hash === actual.hash);
  const changes = {
    added: [] as string[],
    removed: [] as string[],
    resized: [] as string[],
    modified: [] as string[],
  };
  if (actual.hash !== expected) {
    const before = new Map(
      (JSON.parse(await readFile(local.paths.manifest, "utf8").catch(() => "[]")) as ManifestEntry[]).map(
        (e) => [e.path, e],
      ),
    );
    const now = await manifestOf(local.paths.prepared);
    for (const e of now) {
      const was = before.get(e.path);
      if (!was) changes.added.push(e.path);
      else if (was.size !== e.size) changes.resized.push(e.path);
      else if (was.mtime_ms !== e.mtime_ms) changes.modified.push(e.path);
      before.delete(e.path);
    }
    changes.removed.push(...before.keys());
  }
  return { dir: local.paths.dir, expected, actual, registered: registered?.hash, ok, changes };
}
