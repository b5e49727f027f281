/**
 * The compatibility test of a model proposed to a benchmark (CI on its pull request): the
 * benchmark's public demo dataset, prepared with the benchmark's preparation container, then the
 * model's `infer` and the evaluator, as a site would run them. Demo data are public, so the
 * metrics may be printed.
 *
 * The demo dataset (`demo_dataset` in benchmark.yaml) holds the raw data as a site would export
 * it: two folders, `data/` and `labels/`, given as
 * - `path` to a folder (relative to the benchmark folder): `sha256` is the hex part of the
 *   folder's `fedeval-tree-v1` hash (schemas/dataset-hash.md; `fedeval dataset hash` prints it);
 * - `path` to a file, or `url` (downloaded): a gzip-compressed tar archive with `data/` and
 *   `labels/` at its top; `sha256` is the SHA-256 of the archive's bytes, checked before it is
 *   opened. The archive may hold only folders and regular files (and symlinks to files inside it).
 *
 * Everything is written under `workDir`: the demo data, the prepared data, one log file.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { lstat, mkdir, readFile, realpath, writeFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { promisify } from "node:util";
import { ExternalError, UserError } from "../base/errors.ts";
import type { Logger } from "../base/logger.ts";
import { type ContainerRunner, ImageRefusedError } from "../containers/runner.ts";
import { paths } from "../governance/layout.ts";
import type { BenchmarkFolder, GovernanceIndex } from "../governance/loader.ts";
import type { Benchmark, ContainerReference } from "../governance/types.ts";
import { type Dropped, unpoolable } from "../results/build-result.ts";
import { AdditionalFiles } from "./additional-files.ts";
import { ContainerImages } from "./container-image.ts";
import { evaluateModel } from "./container-task.ts";
import { caseCount, type PreparationRun, runPreparation } from "./prepare.ts";
import { type SiteLimits, siteLimits } from "./runners.ts";
import { hashDatasetTree, listDatasetFiles } from "./tree-hash.ts";

/** A demo dataset is small: a download larger than this is refused. */
export const MAX_DEMO_BYTES = 512 * 2 ** 20;

export interface CompatibilityRequest {
  index: GovernanceIndex;
  benchmark: string;
  /** Model ids of the benchmark to test, or a model no file of the tree names (its id and container). */
  models: (string | { id: string; container: ContainerReference })[];
  runner: ContainerRunner;
  /** Default: the runner's default limits. */
  limits?: SiteLimits;
  /** An empty folder for the demo data, the prepared data and the log. */
  workDir: string;
  /** Raw data to prepare instead of the benchmark's demo dataset (`fedeval test --data --labels`). */
  raw?: { data: string; labels: string };
  logger: Logger;
  /** HTTPS_PROXY and friends, for fetching additional files. */
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  now?: () => Date;
}

export interface ModelCompatibility {
  model: string;
  status: "ok" | "failed";
  /** One line: what failed, or notes on an ok run. */
  message: string;
  /** Every declared metric: its value, or null. */
  metrics: Record<string, number | null>;
  /** Why a metric is null (model-error, evaluator-error, undefined...). */
  reasons: Record<string, string>;
  /** Fields of results.yaml dropped because the benchmark does not declare them. */
  dropped: Dropped[];
  /** The last lines the failed task printed (demo data: public). */
  logTail: string[];
}

export type CompatibilityReport =
  | { ok: true; cases: number; models: ModelCompatibility[]; logFile: string }
  | {
      ok: false;
      step: Extract<PreparationRun, { ok: false }>["step"];
      message: string;
      logTail: string[];
      logFile: string;
    };

/**
 * Runs the compatibility test of `models` on the benchmark's demo dataset. A wrong demo dataset
 * (missing, hash differs) is a UserError; a failed preparation is a report with `ok: false`; a
 * model that fails is a model outcome with `status: "failed"`.
 */
export async function compatibilityTest(req: CompatibilityRequest): Promise<CompatibilityReport> {
  const now = req.now ?? (() => new Date());
  const folder = req.index.benchmarks.get(req.benchmark);
  const benchmark = folder?.benchmark?.data;
  if (!folder || !benchmark)
    throw new UserError(`no benchmark "${req.benchmark}" in the governance repository`);
  const limits = req.limits ?? siteLimits({});
  const raw = req.raw ?? (await demoDataset(req.index.root, folder, benchmark, req.workDir, req.logger));
  const logFile = join(req.workDir, "compatibility.log");
  const prepared = {
    data: join(req.workDir, "prepared", "data"),
    labels: join(req.workDir, "prepared", "labels"),
  };
  await mkdir(prepared.data, { recursive: true });
  await mkdir(prepared.labels, { recursive: true });
  const containerLabels = { "fedeval.compatibility": req.benchmark };
  const images = new ContainerImages({
    runner: req.runner,
    downloads: join(req.workDir, "images"),
    env: req.env ?? {},
    logger: req.logger,
  });
  const { containers } = benchmark;
  const additionalFiles = new AdditionalFiles({
    cache: join(req.workDir, "additional-files"),
    env: req.env ?? {},
    logger: req.logger,
  });
  const files = (ref: ContainerReference, role: string) =>
    additionalFiles.folder({ root: req.index.root, benchmark: req.benchmark, ref, role });

  req.logger.info(
    `preparing ${req.raw ? "the local data" : "the demo dataset"} of benchmark ${req.benchmark}`,
  );
  const preparation = await runPreparation({
    runner: req.runner,
    limits,
    root: req.index.root,
    folder,
    preparation: {
      ref: containers.preparation,
      image: await images.image(folder, containers.preparation, "the preparation"),
      additionalFiles: await files(
        containers.preparation,
        `the preparation (${paths.benchmark(req.benchmark)})`,
      ),
    },
    raw,
    out: {
      ...prepared,
      metadata: join(req.workDir, "metadata"),
      statistics: join(req.workDir, "statistics.yaml"),
    },
    runDir: req.workDir,
    logFile,
    containerLabels,
    signal: req.signal,
    logger: req.logger,
  });
  if (!preparation.ok) return { ...preparation, logFile };
  const cases = await caseCount(preparation.statistics, prepared.data);
  const evaluator = {
    ref: containers.evaluator,
    image: await images.image(folder, containers.evaluator, "the evaluator"),
    additionalFiles: await files(containers.evaluator, `the evaluator (${paths.benchmark(req.benchmark)})`),
  };

  const models: ModelCompatibility[] = [];
  for (const entry of req.models) {
    const id = typeof entry === "string" ? entry : entry.id;
    const model = typeof entry === "string" ? folder.models.get(id)?.data : entry;
    if (!model) throw new UserError(`${paths.model(req.benchmark, id)} is missing or invalid`);
    req.logger.info(`running model ${id} and the evaluator on the demo dataset`);
    const failed = (message: string, logTail: string[] = []): ModelCompatibility => ({
      model: id,
      status: "failed",
      message,
      metrics: Object.fromEntries(benchmark.metrics.map((m) => [m.id, null])),
      reasons: Object.fromEntries(benchmark.metrics.map((m) => [m.id, "model-error"])),
      dropped: [],
      logTail,
    });
    let image: Awaited<ReturnType<ContainerRunner["ensureImage"]>>;
    try {
      image = await images.image(folder, model.container, `model ${id}`);
    } catch (e) {
      if (e instanceof ImageRefusedError) {
        models.push(failed(`model image refused: ${e.message}`));
        continue;
      }
      throw e;
    }
    let evaluation: Awaited<ReturnType<typeof evaluateModel>>;
    try {
      const modelFiles = await files(model.container, `model ${id} (${paths.model(req.benchmark, id)})`);
      evaluation = await evaluateModel(
        {
          runner: req.runner,
          limits,
          root: req.index.root,
          folder,
          model: { ref: model.container, image, additionalFiles: modelFiles },
          evaluator,
          data: prepared.data,
          labels: prepared.labels,
          scratch: join(req.workDir, "models", id),
          localOutputs: join(req.workDir, "models", id, "local_outputs"),
          logFile,
          containerLabels,
          signal: req.signal,
          now,
        },
        benchmark,
        cases,
      );
    } catch (e) {
      // no infer task, a mount fedeval cannot fill, additional files refused or unreachable
      if (e instanceof UserError || e instanceof ExternalError) {
        models.push(failed(e.message));
        continue;
      }
      throw e;
    }
    if (!evaluation.ok) {
      const who = evaluation.task === "infer" ? "model" : "evaluator";
      models.push(failed(`${who} failed: ${evaluation.message}`, evaluation.logTail));
      continue;
    }
    const { output } = evaluation;
    const metrics: Record<string, number | null> = {};
    const reasons: Record<string, string> = {};
    for (const m of benchmark.metrics) {
      const value = output.metrics[m.id];
      metrics[m.id] = value?.value ?? null;
      if (metrics[m.id] === null) reasons[m.id] = value?.reason ?? "undefined";
    }
    const unusable = benchmark.metrics.filter((m) => reasons[m.id] === "evaluator-error").length;
    const result = {
      model: id,
      metrics,
      reasons,
      dropped: output.dropped,
      logTail: [],
    };
    const gaps = unpoolable(benchmark, output);
    if (unusable === benchmark.metrics.length) {
      models.push({
        ...result,
        status: "failed",
        message: `the evaluator could compute none of the ${benchmark.metrics.length} declared metrics from the model's predictions`,
      });
    } else if (gaps.length) {
      // `run` would refuse such a result at every site: say so before the model is approved
      models.push({
        ...result,
        status: "failed",
        message: `the evaluator's output cannot be pooled as the benchmark declares: ${gaps.join("; ")}`,
      });
    } else {
      const notes = [
        unusable ? `${unusable} of ${benchmark.metrics.length} metrics missing` : "",
        output.dropped.length ? `${output.dropped.length} undeclared fields of results.yaml dropped` : "",
      ].filter(Boolean);
      models.push({ ...result, status: "ok", message: notes.join("; ") || "ok" });
    }
  }
  return { ok: true, cases, models, logFile };
}

/** The demo dataset's raw `data/` and `labels/` folders, its SHA-256 checked. */
async function demoDataset(
  root: string,
  folder: BenchmarkFolder,
  benchmark: Benchmark,
  workDir: string,
  logger: Logger,
): Promise<{ data: string; labels: string }> {
  const demo = benchmark.demo_dataset;
  const file = paths.benchmark(folder.id);
  if (!demo) throw new UserError(`${file} declares no demo_dataset: there is no data to test models on`);
  const expected = demo.sha256.toLowerCase();
  let dir: string;
  if (demo.path !== undefined) {
    const benchmarkDir = join(root, "benchmarks", folder.id);
    const at = join(benchmarkDir, demo.path);
    const where = `demo_dataset path ${demo.path} (${file})`;
    const real = await realpath(at).catch(() => undefined);
    if (!real) throw new UserError(`${where} does not exist`);
    const inside = relative(await realpath(benchmarkDir), real);
    if (inside.startsWith(`..${sep}`) || inside === "..")
      throw new UserError(`${where} leaves the benchmark folder`);
    if ((await lstat(real)).isDirectory()) {
      logger.info(`hashing the demo dataset ${demo.path}`);
      const actual = (await hashDatasetTree(real)).hash.split(":").pop();
      if (actual !== expected) {
        throw new UserError(
          `${where}: its fedeval-tree-v1 hash is ${actual}, not the sha256 ${expected} the benchmark declares; fix the data or the sha256`,
        );
      }
      dir = real;
    } else {
      dir = await unpack(await readChecked(real, expected, where), join(workDir, "demo"), where);
    }
  } else if (demo.url !== undefined) {
    logger.info(`downloading the demo dataset ${demo.url}`);
    const bytes = await download(demo.url);
    const where = `demo_dataset url ${demo.url} (${file})`;
    dir = await unpack(checked(bytes, expected, where), join(workDir, "demo"), where);
  } else {
    throw new UserError(`${file}: demo_dataset needs a path or a url`);
  }
  const data = join(dir, "data");
  const labels = join(dir, "labels");
  for (const sub of [data, labels]) {
    if (
      !(await lstat(sub).then(
        (s) => s.isDirectory(),
        () => false,
      ))
    ) {
      throw new UserError(
        `the demo dataset of ${file} has no ${sub === data ? "data" : "labels"}/ folder at its top (it needs data/ and labels/)`,
      );
    }
  }
  return { data, labels };
}

function checked(bytes: Buffer, expected: string, where: string): Buffer {
  const actual = createHash("sha256").update(bytes).digest("hex");
  if (actual !== expected) {
    throw new UserError(
      `${where}: its SHA-256 is ${actual}, not the sha256 ${expected} the benchmark declares; the data changed or the sha256 is wrong`,
    );
  }
  return bytes;
}

async function readChecked(path: string, expected: string, where: string): Promise<Buffer> {
  return checked(await readFile(path), expected, where);
}

async function download(url: string): Promise<Buffer> {
  const hint = "check that the URL in demo_dataset is reachable from this runner";
  let response: Response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new ExternalError(`cannot download the demo dataset ${url}: ${(e as Error).message}`, hint, {
      cause: e,
    });
  }
  if (!response.ok) {
    throw new ExternalError(`cannot download the demo dataset ${url}: HTTP ${response.status}`, hint);
  }
  const declared = Number(response.headers.get("content-length") ?? 0);
  if (declared > MAX_DEMO_BYTES) {
    throw new UserError(`the demo dataset ${url} is larger than ${MAX_DEMO_BYTES / 2 ** 20} MiB`);
  }
  const bytes = Buffer.from(await response.arrayBuffer());
  if (bytes.length > MAX_DEMO_BYTES) {
    throw new UserError(`the demo dataset ${url} is larger than ${MAX_DEMO_BYTES / 2 ** 20} MiB`);
  }
  return bytes;
}

/**
 * Extracts a checked .tar.gz into `dir` with the system's tar, then refuses what a dataset may not
 * hold (symlinks leaving it, devices, FIFOs): listDatasetFiles throws on them.
 */
async function unpack(bytes: Buffer, dir: string, where: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const archive = `${dir}.tar.gz`;
  await writeFile(archive, bytes);
  try {
    await promisify(execFile)("tar", [
      "-xzf",
      archive,
      "-C",
      dir,
      "--no-same-owner",
      "--no-same-permissions",
    ]);
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === "ENOENT") throw new ExternalError("tar is not installed", "install tar (GNU or bsdtar)");
    throw new UserError(
      `${where} is not a gzip-compressed tar archive (${(err.stderr ?? err.message).trim().split("\n")[0]})`,
    );
  }
  listDatasetFiles(dir);
  return dir;
}
