/**
 * A plan of 8 trivial triples (8 models, each the demo's reference-logistic container, on one
 * prepared dataset) run by the CLI as users run it (bin/fedeval.js): serially, with `--parallel 2`,
 * and through a single-node Slurm cluster started here (`--executor slurm --wait`, the node's CPUs
 * as slots), side by side with the same 16 containers started directly (`docker run` with the same
 * flags and mounts, one after the other). Overhead per triple = (mode - docker run time at the same
 * concurrency: all of it serially, half of it two at a time) / 8.
 * Targets: --parallel 2 within 1.2 × half the serial time; Slurm overhead ≤ 1 s per triple.
 * Needs a Docker Engine and the docker CLI; Slurm (munge, slurmctld, slurmd) and root for the third.
 *
 *   node --import tsx scripts/bench-scale.ts [rounds]
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import Docker from "dockerode";
import { DEMO_BENCHMARK } from "../cli/src/app/demo/demo-governance.ts";
import { buildDemoImages } from "../cli/src/app/demo/demo-images.ts";
import { workspace } from "../cli/src/base/workspace.ts";
import { DEFAULT_LIMITS } from "../cli/src/containers/runner.ts";
import type { TaskInterface } from "../cli/src/containers/types.ts";
import { loadGovernance } from "../cli/src/governance/loader.ts";
import { containerTask } from "../cli/src/site/container-task.ts";
import { preparedPaths } from "../cli/src/site/prepare.ts";
import { isolatedDockerRunFlags } from "../cli/test/helpers/docker.ts";
import { slurmSkip, startSlurm } from "../cli/test/helpers/slurm.ts";
import {
  addModel,
  DATASET,
  demoImageRefs,
  onlyModels,
  prepareDemoDataset,
  removeImages,
  SITE,
  siteWorld,
} from "../cli/test/site/site-fixture.ts";

const rounds = Number(process.argv[2] ?? 3);
const TRIPLES = 8;
const repo = resolve(import.meta.dirname, "..");
const docker = new Docker();

console.log("setting up: the CLI bundle, demo images, a prepared dataset, 8 models, a Slurm cluster");
execFileSync(process.execPath, [join(repo, "scripts/build.mjs")], { cwd: repo, stdio: "inherit" });
const cli = join(repo, "bin/fedeval.js");
const images = await buildDemoImages(docker, "fedeval-bench-scale");
const prepared = await prepareDemoDataset(images, docker);
const reference = images.models["reference-logistic"] as string;
const world = await siteWorld(images, prepared, (files) => {
  onlyModels([])(files);
  for (let i = 1; i <= TRIPLES; i++) addModel(files, `trivial-${i}`, reference, i);
});
const noSlurm = slurmSkip();
const slurm = noSlurm ? undefined : await startSlurm();

const { index } = await loadGovernance(world.root);
const folder = index.benchmarks.get(DEMO_BENCHMARK);
const benchmark = folder?.benchmark?.data;
if (!folder || !benchmark) throw new Error("demo benchmark did not load");
const infer = containerTask(folder, { image: reference, config: "containers/trivial-1.yaml" }, "infer");
const evaluate = containerTask(folder, benchmark.containers.evaluator, "evaluate");
const local = preparedPaths(workspace(world.env).site(SITE), DEMO_BENCHMARK, DATASET);
const evaluatorParameters = join(
  world.root,
  "benchmarks",
  DEMO_BENCHMARK,
  "containers",
  "evaluator",
  "parameters.yaml",
);

/** `fedeval run` with `args` in a fresh workspace holding the prepared dataset; its wall time. */
function fedevalRun(args: string[]): number {
  const home = mkdtempSync(join(tmpdir(), "fedeval-bench-home-"));
  const rel = join("sites", SITE, "datasets", DEMO_BENCHMARK, DATASET);
  cpSync(join(world.home, rel), join(home, rel), { recursive: true, preserveTimestamps: true });
  const start = performance.now();
  const stdout = execFileSync(process.execPath, [cli, "run", "--site", SITE, ...args], {
    cwd: world.root,
    env: {
      FEDEVAL_HOME: home,
      PATH: process.env.PATH,
      ...(slurm ? { SLURM_CONF: slurm.env.SLURM_CONF } : {}),
    },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  const ms = performance.now() - start;
  if (!new RegExp(`${TRIPLES} triples: ${TRIPLES} ok`).test(stdout))
    throw new Error(`fedeval run ${args.join(" ")} did not succeed:\n${stdout}`);
  rmSync(home, { recursive: true, force: true });
  return ms;
}

function dockerRun(image: string, task: TaskInterface, mounts: Record<string, string>): void {
  const inputs = new Set(task.inputs.map((m) => m.name));
  execFileSync("docker", [
    "run",
    ...isolatedDockerRunFlags(DEFAULT_LIMITS),
    ...[...task.inputs, ...task.outputs].map(
      (m) =>
        `--mount=type=bind,source=${mounts[m.name]},target=${m.mountPath}${inputs.has(m.name) ? ",readonly" : ""}`,
    ),
    image,
    ...(task.command ?? []),
    ...task.args,
  ]);
}

/** The 8 triples' 16 containers, started directly one after the other. */
function viaDockerRun(): number {
  const start = performance.now();
  for (let i = 0; i < TRIPLES; i++) {
    const scratch = mkdtempSync(join(tmpdir(), "fedeval-bench-scratch-"));
    const p = (...parts: string[]) => join(scratch, ...parts);
    for (const dir of ["predictions", "additional_files", "results"]) mkdirSync(p(dir));
    writeFileSync(p("model-parameters.yaml"), "{}\n");
    writeFileSync(p("results", "results.yaml"), "");
    dockerRun(reference, infer, {
      data_path: local.data,
      parameters_file: p("model-parameters.yaml"),
      additional_files: p("additional_files"),
      output_path: p("predictions"),
    });
    dockerRun(images.evaluator, evaluate, {
      predictions: p("predictions"),
      labels: local.labels,
      parameters_file: evaluatorParameters,
      output_path: p("results", "results.yaml"),
    });
    rmSync(scratch, { recursive: true, force: true });
  }
  return performance.now() - start;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
viaDockerRun(); // warm-up: page cache, image layers
const times = {
  direct: [] as number[],
  serial: [] as number[],
  parallel: [] as number[],
  slurm: [] as number[],
};
for (let i = 0; i < rounds; i++) {
  times.direct.push(viaDockerRun());
  times.serial.push(fedevalRun([]));
  times.parallel.push(fedevalRun(["--parallel", "2"]));
  if (slurm) times.slurm.push(fedevalRun(["--executor", "slurm", "--wait"]));
}
await slurm?.stop();
await removeImages(docker, demoImageRefs(images));

const d = median(times.direct);
const list = (xs: number[]) => `[${xs.map((x) => (x / 1000).toFixed(1)).join(", ")}]`;
const row = (name: string, xs: number[], concurrency: number) => {
  const t = median(xs);
  const perTriple = (t - d / concurrency) / TRIPLES;
  console.log(
    `${name.padEnd(34)} ${(t / 1000).toFixed(1).padStart(6)} s   overhead per triple ${(perTriple / 1000).toFixed(2)} s   ${list(xs)}`,
  );
  return { t, perTriple };
};
console.log(
  `rounds: ${rounds} (medians); ${TRIPLES} triples, ${cpus().length} cores; dataset ${DATASET}: 900 cases`,
);
console.log(
  `${"docker run × 16, one at a time".padEnd(34)} ${(d / 1000).toFixed(1).padStart(6)} s   ${list(times.direct)}`,
);
const serial = row("fedeval run (serial)", times.serial, 1);
const parallel = row("fedeval run --parallel 2", times.parallel, 2);
const ratio = parallel.t / (serial.t / 2);
console.log(
  `--parallel 2 / (serial / 2): ${ratio.toFixed(2)}  target ≤ 1.2: ${ratio <= 1.2 ? "met" : "NOT met"}`,
);
if (slurm) {
  const s = row(`--executor slurm --wait (${cpus().length} slots)`, times.slurm, Math.min(2, cpus().length));
  console.log(
    `Slurm overhead per triple ${(s.perTriple / 1000).toFixed(2)} s  target ≤ 1 s: ${s.perTriple <= 1000 ? "met" : "NOT met"}`,
  );
} else console.log(`Slurm: not measured (${noSlurm})`);
