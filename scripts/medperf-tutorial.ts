/**
 * MedPerf's chest X-ray tutorial (data preparator, custom CNN, metrics), built from MedPerf's own
 * files (cli/test/fixtures/medperf-chestxray-tutorial, byte-identical) and run two ways: MedPerf's
 * (`docker run` with the mounts and arguments MedPerf's code assembles) and fedeval's (a benchmark
 * declaring the containers' `container_config.yaml` files unchanged, the weights as additional
 * files). `npm run test:medperf` (scripts/medperf-tutorial.test.ts) checks both give the same
 * metrics; `node --import tsx scripts/medperf-tutorial.ts` prints what each way gave.
 *
 * Offline, without PyPI: the images are built on a Debian bookworm base made with `mmdebstrap`
 * (Debian's python3-numpy, -yaml, -pil, -tqdm, -sklearn, -torch, -torchvision) piped into
 * `docker import` (about 2 GB, several minutes the first time; kept as fedeval-medperf/python:bookworm).
 * Each image's Dockerfile is MedPerf's with its `FROM python:3.9.16-slim` replaced by that base
 * and its `pip install` lines dropped. MedPerf's tutorial downloads its data and weights; here the
 * data are a small synthetic set in the tutorial's format (PNG images and labels.csv) and the
 * weights are the tutorial's CNN trained for a few epochs on part of it, packed as MedPerf packs
 * them (cnn_weights.pth in a .tar.gz).
 */
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";
import type { Dataset } from "../cli/src/governance/types.ts";

const run = promisify(execFile);

export const TUTORIAL = resolve(import.meta.dirname, "../cli/test/fixtures/medperf-chestxray-tutorial");
export const BASE_IMAGE = "fedeval-medperf/python:bookworm";
const PACKAGES = [
  "python3",
  "python3-numpy",
  "python3-yaml",
  "python3-pil",
  "python3-tqdm",
  "python3-sklearn",
  "python3-torch",
  "python3-torchvision",
];

export type Container = "data_preparator" | "model_custom_cnn" | "metrics";
export const CONTAINERS: readonly Container[] = ["data_preparator", "model_custom_cnn", "metrics"];
/** Their names in the governance repository (ids there are slugs). */
export const GOVERNANCE_NAMES: Record<Container, string> = {
  data_preparator: "prep",
  model_custom_cnn: "custom-cnn",
  metrics: "metrics",
};

async function docker(args: string[], options: { input?: string } = {}): Promise<string> {
  const { stdout } = await run("docker", args, { maxBuffer: 64 * 2 ** 20, ...options });
  return stdout.trim();
}

async function imageId(ref: string): Promise<string | undefined> {
  return docker(["image", "inspect", "--format", "{{.Id}}", ref]).catch(() => undefined);
}

/** The base image: built with mmdebstrap | docker import when the engine does not have it yet. */
export async function ensureBaseImage(log: (line: string) => void = () => {}): Promise<string> {
  const existing = await imageId(BASE_IMAGE);
  if (existing) return existing;
  log(`building ${BASE_IMAGE} with mmdebstrap (several minutes, about 2 GB)`);
  await new Promise<void>((done, fail) => {
    const debootstrap = spawn(
      "mmdebstrap",
      ["--variant=minbase", `--include=${PACKAGES.join(",")}`, "bookworm", "-"],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const load = spawn("docker", ["import", "-c", "ENV LANG=C.UTF-8", "-", BASE_IMAGE], {
      stdio: ["pipe", "ignore", "inherit"],
    });
    debootstrap.stdout.pipe(load.stdin);
    debootstrap.on("error", (e) =>
      fail(new Error(`mmdebstrap cannot run (${e.message}): apt-get install mmdebstrap, as root`)),
    );
    load.on("close", (code) => (code === 0 ? done() : fail(new Error(`docker import exited with ${code}`))));
  });
  return (await imageId(BASE_IMAGE)) as string;
}

/** MedPerf's Dockerfile on the offline base: its FROM replaced, its pip lines dropped. */
export function offlineDockerfile(medperfDockerfile: string): string {
  return medperfDockerfile
    .split("\n")
    .filter((line) => !/requirements\.txt|pip3? install/.test(line))
    .map((line) => (line.startsWith("FROM ") ? `FROM ${BASE_IMAGE}` : line))
    .join("\n");
}

/** Builds the tutorial's three images; returns their image ids (which pin them). */
export async function buildTutorialImages(): Promise<Record<Container, string>> {
  await ensureBaseImage();
  const ids = {} as Record<Container, string>;
  for (const name of CONTAINERS) {
    const context = await mkdtemp(join(tmpdir(), `fedeval-medperf-${name}-`));
    await cp(join(TUTORIAL, name, "project"), join(context, "project"), { recursive: true });
    const dockerfile = offlineDockerfile(await readFile(join(TUTORIAL, name, "Dockerfile"), "utf8"));
    await writeFile(join(context, "Dockerfile"), dockerfile);
    ids[name] = await docker(["build", "-q", "-t", `fedeval-medperf/chestxray-${name}:tutorial`, context]);
  }
  return ids;
}

/**
 * Generates the synthetic raw data (the tutorial's format: `<Image ID>.png` grayscale images and
 * `labels.csv` with `Image ID,Label`), and trains the tutorial's CNN a little on a training half
 * that is not part of the data: a deterministic run (fixed seeds, one thread).
 */
const GENERATOR = `
import csv, os, sys
import numpy as np
import yaml
from PIL import Image
import torch
sys.path.insert(0, "/tutorial/model_custom_cnn/project")
from models import SimpleCNN

with open("/tutorial/data_preparator/workspace/parameters.yaml") as f:
    labels_list = yaml.safe_load(f)["labels_list"]
rng = np.random.default_rng(2026)
torch.manual_seed(2026)
torch.set_num_threads(1)

def image(label):
    # noise plus a bright block whose position says the finding
    img = rng.normal(90, 30, (64, 64))
    k = labels_list.index(label)
    r, c = (k // 4) * 16, (k % 4) * 16
    img[r:r + 16, c:c + 16] += rng.normal(35, 20)
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), mode="L")

out = sys.argv[1]
os.makedirs(f"{out}/raw/data"); os.makedirs(f"{out}/raw/labels"); os.makedirs(f"{out}/weights")
with open(f"{out}/raw/labels/labels.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["Image ID", "Label"])
    for i in range(56):
        label = labels_list[int(rng.integers(0, 14))]
        image(label).save(f"{out}/raw/data/{10000 + i}.png")
        w.writerow([str(10000 + i), label])

x, y = [], []
for i in range(240):
    k = int(rng.integers(0, 14))
    a = np.asarray(image(labels_list[k]).resize((28, 28)), dtype=np.float32) / 255.0
    x.append((a - 0.5) / 0.5); y.append(np.eye(len(labels_list))[k])
x = torch.tensor(np.stack(x))[:, None]; y = torch.tensor(np.stack(y), dtype=torch.float32)
model = SimpleCNN(in_channels=1, num_classes=len(labels_list))
opt = torch.optim.Adam(model.parameters(), lr=0.005)
for epoch in range(15):
    for b in range(0, len(x), 40):
        opt.zero_grad()
        loss = torch.nn.BCEWithLogitsLoss()(model(x[b:b + 40]), y[b:b + 40])
        loss.backward(); opt.step()
torch.save(model.state_dict(), f"{out}/weights/cnn_weights.pth")
`;

export interface TutorialData {
  /** Raw data and labels folders, as a site exports them. */
  data: string;
  labels: string;
  /** cnn_weights.pth in a .tar.gz, as MedPerf's tutorial serves it, and its SHA-256. */
  weightsTarball: string;
  weightsSha256: string;
}

export async function makeTutorialData(dir: string): Promise<TutorialData> {
  await mkdir(dir, { recursive: true });
  await docker([
    "run",
    "--rm",
    "--network=none",
    `--user=${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`,
    "-v",
    `${TUTORIAL}:/tutorial:ro`,
    "-v",
    `${dir}:/out`,
    BASE_IMAGE,
    "python3",
    "-c",
    GENERATOR,
    "/out",
  ]);
  const weightsTarball = join(dir, "cnn_weights.tar.gz");
  await run("tar", ["-czf", weightsTarball, "-C", join(dir, "weights"), "cnn_weights.pth"]);
  const { stdout } = await run("sha256sum", [weightsTarball]);
  return {
    data: join(dir, "raw", "data"),
    labels: join(dir, "raw", "labels"),
    weightsTarball,
    weightsSha256: stdout.split(" ")[0] as string,
  };
}

interface Volume {
  mount_path: string;
  type: "file" | "directory";
}
interface TaskConfig {
  run_args?: { command?: string | string[]; entrypoint?: string; environment?: Record<string, string> };
  input_volumes?: Record<string, Volume>;
  output_volumes?: Record<string, Volume>;
}

/** Python's shlex.split for the commands MedPerf's examples use (words, no quoting). */
const shlexSplit = (command: string | string[]) =>
  Array.isArray(command) ? command : command.split(/\s+/).filter(Boolean);

/**
 * The `docker run` argv MedPerf's DockerRunner crafts for a task (medperf/containers/runners:
 * docker_runner.py `run`, utils.py, docker_utils.py `craft_docker_run_command`): the invoking
 * user, `--rm`, every declared input volume `:ro` and output volume `:rw` (MedPerf's own
 * `parameters_file` and `additional_files` among the mounts), a private host folder as /tmp,
 * `--network none`, the environment, the entrypoint, the image, the command split like shlex.
 */
export function medperfDockerRun(
  task: string,
  config: TaskConfig,
  image: string,
  mounts: Record<string, string>,
  tmp: string,
): string[] {
  const argv = ["run", "--name", `medperf-${task}-${randomBytes(8).toString("hex")}`, "--rm"];
  argv.push("-u", `${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`);
  for (const [key, volume] of Object.entries(config.input_volumes ?? {})) {
    argv.push("--volume", `${mounts[key]}:${volume.mount_path}:ro`);
  }
  for (const [key, volume] of Object.entries(config.output_volumes ?? {})) {
    argv.push("--volume", `${mounts[key]}:${volume.mount_path}:rw`);
  }
  argv.push("--volume", `${tmp}:/tmp:rw`);
  argv.push("--network", "none");
  for (const [k, v] of Object.entries(config.run_args?.environment ?? {})) argv.push("--env", `${k}=${v}`);
  if (config.run_args?.entrypoint) argv.push("--entrypoint", config.run_args.entrypoint);
  argv.push(image, ...shlexSplit(config.run_args?.command ?? []));
  return argv;
}

export interface MedperfRun {
  statistics: unknown;
  results: Record<string, number>;
  /** Every docker command run, in order. */
  commands: string[][];
}

/**
 * MedPerf's way: `medperf dataset prepare` (prepare, sanity_check, statistics) then `medperf
 * benchmark run` (infer, evaluate), each task a `docker run` as MedPerf crafts it. Output files are
 * created before the run as MedPerf does (a file mount's host file must exist).
 */
export async function runMedperfWay(
  images: Record<Container, string>,
  data: TutorialData,
  workDir: string,
): Promise<MedperfRun> {
  const dirs = {
    prepared: join(workDir, "data"),
    labels: join(workDir, "labels"),
    statistics: join(workDir, "statistics", "statistics.yaml"),
    additional: join(workDir, "additional_files"),
    predictions: join(workDir, "predictions"),
    results: join(workDir, "results", "results.yaml"),
    empty: join(workDir, "no_additional_files"),
  };
  for (const d of [dirs.prepared, dirs.labels, dirs.additional, dirs.predictions, dirs.empty]) {
    await mkdir(d, { recursive: true });
  }
  for (const f of [dirs.statistics, dirs.results]) {
    await mkdir(join(f, ".."), { recursive: true });
    await writeFile(f, "");
  }
  // MedPerf's download_additional: the tarball extracted into the cube's additional_files folder
  await run("tar", ["-xzf", data.weightsTarball, "-C", dirs.additional]);
  const commands: string[][] = [];
  const task = async (container: Container, name: string, mounts: Record<string, string>) => {
    const config = parse(await readFile(join(TUTORIAL, container, "container_config.yaml"), "utf8"));
    const tmp = await mkdtemp(join(tmpdir(), "medperf-tmp-"));
    const extra = {
      parameters_file: join(TUTORIAL, container, "workspace", "parameters.yaml"),
      additional_files: container === "model_custom_cnn" ? dirs.additional : dirs.empty,
    };
    const argv = medperfDockerRun(name, config.tasks[name], images[container], { ...mounts, ...extra }, tmp);
    commands.push(["docker", ...argv]);
    await docker(argv);
  };
  await task("data_preparator", "prepare", {
    data_path: data.data,
    labels_path: data.labels,
    output_path: dirs.prepared,
    output_labels_path: dirs.labels,
  });
  await task("data_preparator", "sanity_check", { data_path: dirs.prepared, labels_path: dirs.labels });
  await task("data_preparator", "statistics", {
    data_path: dirs.prepared,
    labels_path: dirs.labels,
    output_path: dirs.statistics,
  });
  await task("model_custom_cnn", "infer", { data_path: dirs.prepared, output_path: dirs.predictions });
  await task("metrics", "evaluate", {
    predictions: dirs.predictions,
    labels: dirs.labels,
    output_path: dirs.results,
  });
  return {
    statistics: parse(await readFile(dirs.statistics, "utf8")),
    results: parse(await readFile(dirs.results, "utf8")),
    commands,
  };
}

/** The benchmark's id in the governance repository the fedeval way writes. */
export const BENCHMARK = "chestxray-tutorial";
export const SITE = "tutorial-hospital";

/**
 * A governance repository (`fedeval init`'s, its example benchmark replaced) declaring the
 * tutorial: the three `container_config.yaml` files copied unchanged (each with MedPerf's
 * `workspace/parameters.yaml` as its parameters file), the images pinned by id, the CNN weights
 * as the reference model's additional files (the tarball in the benchmark folder, by SHA-256),
 * the raw data as demo data, and MedPerf's metric keys (`AUC`, `Accuracy`) mapped to metric ids.
 */
export async function tutorialGovernance(
  images: Record<Container, string>,
  data: TutorialData,
  root: string,
): Promise<string> {
  const { initGovernance } = await import("../cli/src/app/init.ts");
  const { hashDatasetTree } = await import("../cli/src/site/tree-hash.ts");
  const { governanceFileText } = await import("../cli/src/governance/governance-file.ts");
  await initGovernance({ dir: root, benchmark: BENCHMARK, site: SITE });
  const b = join(root, "benchmarks", BENCHMARK);
  await rm(b, { recursive: true });
  for (const name of CONTAINERS) {
    const id = GOVERNANCE_NAMES[name];
    await mkdir(join(b, "containers", id), { recursive: true });
    await cp(join(TUTORIAL, name, "container_config.yaml"), join(b, "containers", `${id}.yaml`));
    await cp(
      join(TUTORIAL, name, "workspace", "parameters.yaml"),
      join(b, "containers", id, "parameters.yaml"),
    );
  }
  const weights = "containers/custom-cnn/additional_files/cnn_weights.tar.gz";
  await mkdir(join(b, weights, ".."), { recursive: true });
  await cp(data.weightsTarball, join(b, weights));
  const demo = join(b, "demo", "tutorial");
  await cp(data.data, join(demo, "data"), { recursive: true });
  await cp(data.labels, join(demo, "labels"), { recursive: true });
  const benchmark = {
    schema: "fedeval/benchmark@1",
    id: BENCHMARK,
    version: 1,
    title: "MedPerf chest X-ray tutorial",
    description: "MedPerf's chest X-ray tutorial containers, unchanged, on synthetic data.",
    task: "multi-label classification",
    clinical_setting: "Frontal chest radiographs (synthetic tutorial data).",
    committee: ["your-github-login"],
    containers: {
      preparation: { image: images.data_preparator, config: "containers/prep.yaml" },
      reference_model: {
        image: images.model_custom_cnn,
        config: "containers/custom-cnn.yaml",
        additional_files: { path: weights, sha256: data.weightsSha256 },
      },
      evaluator: { image: images.metrics, config: "containers/metrics.yaml" },
    },
    demo_dataset: { path: "demo/tutorial", sha256: (await hashDatasetTree(demo)).hash.split(":").pop() },
    metrics: [
      {
        id: "auc",
        key: "AUC",
        group: "accuracy",
        direction: "higher",
        primary: true,
        range: [0, 1],
        pooling: "mean",
      },
      {
        id: "accuracy",
        key: "Accuracy",
        group: "accuracy",
        direction: "higher",
        range: [0, 1],
        pooling: "mean",
      },
    ],
    statistics_published: ["num_cases"],
    // the tutorial plays no committee: its policy approves the associations (no signatures needed)
    policy: { isolation_required: true, auto_approve: { models: "ALWAYS", datasets: "ALWAYS" } },
  };
  await writeFile(join(b, "benchmark.yaml"), governanceFileText("benchmark", benchmark as never));
  return root;
}

export interface FedevalRun {
  /** `fedeval test` on the raw data: every task, then the metrics by fedeval id. */
  test: Record<string, number | null>;
  tasks: { task: string; status: string; message: string }[];
  /** `fedeval dataset prepare`: the statistics it read, and the reference model's result on the dataset. */
  statistics: Record<string, unknown>;
  reference: Record<string, number | null> | undefined;
  /** `fedeval run`: the metrics of the result waiting in the outbox. */
  run: Record<string, number | null>;
}

/** fedeval's way: `fedeval test` on the raw data, and `fedeval dataset prepare` (with its reference test). */
export async function runFedevalWay(
  images: Record<Container, string>,
  data: TutorialData,
  workDir: string,
): Promise<FedevalRun> {
  const { testContainers } = await import("../cli/src/app/container-test.ts");
  const { prepareSiteDataset } = await import("../cli/src/app/dataset-prepare.ts");
  const { silentLogger } = await import("../cli/src/base/logger.ts");
  const root = await tutorialGovernance(images, data, join(workDir, "gov"));
  const env = { PATH: process.env.PATH, FEDEVAL_HOME: join(workDir, "home") };
  const common = {
    root,
    benchmark: BENCHMARK,
    runner: "docker" as const,
    cwd: workDir,
    env,
    logger: silentLogger,
  };
  const report = await testContainers({ ...common, data: data.data, labels: data.labels });
  const tasks = report.tasks.map((t) => ({
    task: t.task,
    status: t.outcome.status,
    message: t.outcome.message,
  }));
  const model = report.result.ok ? report.result.models[0] : undefined;
  const prepared = await prepareSiteDataset({
    ...common,
    site: SITE,
    data: data.data,
    labels: data.labels,
    name: "tutorial-2026",
  });
  // dataset prepare's outcome: the preparation, and the reference test run after it
  const { preparation, reference } = prepared;
  if (!preparation.ok)
    throw new Error(`dataset prepare failed at ${preparation.step}: ${preparation.message}`);
  const referenceResult = reference?.ok ? reference.association.reference_result : undefined;
  return {
    test: model?.metrics ?? {},
    tasks,
    statistics: preparation.statistics,
    reference: referenceResult,
    run: await runSite(
      root,
      reference?.ok ? reference.association : preparation.association,
      images,
      data,
      env,
      workDir,
    ),
  };
}

/**
 * `fedeval run` at the site, as a hospital runs it: the committee has approved the dataset (its
 * association, as `dataset prepare` wrote it) and the CNN as a model with the reference model's
 * container and weights; the clone is committed; the result waits in the outbox, its metrics read
 * from there.
 */
async function runSite(
  root: string,
  association: Dataset,
  images: Record<Container, string>,
  data: TutorialData,
  env: NodeJS.ProcessEnv,
  workDir: string,
): Promise<Record<string, number | null>> {
  const { governanceFileText } = await import("../cli/src/governance/governance-file.ts");
  const { runSitePlan } = await import("../cli/src/app/run.ts");
  const { Outbox } = await import("../cli/src/results/outbox.ts");
  const { workspace } = await import("../cli/src/base/workspace.ts");
  const { silentLogger } = await import("../cli/src/base/logger.ts");
  const b = join(root, "benchmarks", BENCHMARK);
  await mkdir(join(b, "datasets"), { recursive: true });
  await writeFile(
    join(b, "datasets", `${association.id}.yaml`),
    governanceFileText("dataset", { ...association, status: "approved" }),
  );
  await mkdir(join(b, "models"), { recursive: true });
  const model = {
    schema: "fedeval/model@1",
    id: "custom-cnn",
    owner: ["tutorial-vendor"],
    container: {
      image: images.model_custom_cnn,
      config: "containers/custom-cnn.yaml",
      additional_files: {
        path: "containers/custom-cnn/additional_files/cnn_weights.tar.gz",
        sha256: data.weightsSha256,
      },
    },
    status: "approved",
  };
  await writeFile(join(b, "models", "custom-cnn.yaml"), governanceFileText("model", model as never));
  const git = (...args: string[]) => run("git", ["-C", root, ...args]);
  await git("init", "-q");
  await git("add", "-A");
  await git(
    "-c",
    "user.name=tutorial",
    "-c",
    "user.email=tutorial@example.org",
    "commit",
    "-qm",
    "tutorial benchmark",
  );
  const report = await runSitePlan({
    site: SITE,
    root,
    runner: "docker",
    cwd: workDir,
    env,
    logger: silentLogger,
  });
  const entries = await new Outbox(workspace(env).site(SITE).outbox).list();
  const entry = entries.find((e) => e.id.includes("--custom-cnn--"));
  if (!entry) throw new Error(`fedeval run left no result for the CNN: ${JSON.stringify(report.counts)}`);
  return Object.fromEntries(Object.entries(entry.result.metrics).map(([id, m]) => [id, m.value]));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const work = await mkdtemp(join(tmpdir(), "fedeval-medperf-tutorial-"));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  await ensureBaseImage(log);
  const images = await buildTutorialImages();
  log(`images: ${JSON.stringify(images)}`);
  const data = await makeTutorialData(join(work, "input"));
  const medperf = await runMedperfWay(images, data, join(work, "medperf"));
  for (const c of medperf.commands) log(c.join(" "));
  process.stdout.write(
    `MedPerf's way: ${JSON.stringify(medperf.results)} statistics ${JSON.stringify(medperf.statistics)}\n`,
  );
  const fedeval = await runFedevalWay(images, data, join(work, "fedeval"));
  for (const t of fedeval.tasks) log(`fedeval test: task ${t.task}: ${t.status} (${t.message})`);
  process.stdout.write(
    `fedeval's way: test ${JSON.stringify(fedeval.test)}; dataset prepare: statistics ${JSON.stringify(fedeval.statistics)}, reference ${JSON.stringify(fedeval.reference)}; run ${JSON.stringify(fedeval.run)}\n`,
  );
}
