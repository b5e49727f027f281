/**
 * Overhead of `fedeval run` for one (model, dataset) triple: the CLI as users run it
 * (bin/fedeval.js after `node scripts/build.mjs`, validators compiled at build time) in a subprocess
 * (plan, dataset re-hash, image checks, infer, evaluate, results check, outbox write) versus the
 * same two containers started directly with `docker run` and the same mounts and flags.
 * Target: overhead ≤ 5 % or ≤ 300 ms. Needs a Docker Engine and the docker CLI.
 *
 *   node --import tsx scripts/bench-site-run.ts [rounds]
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import Docker from "dockerode";
import { DEMO_BENCHMARK } from "../cli/src/app/demo/demo-governance.ts";
import { buildDemoImages } from "../cli/src/app/demo/demo-images.ts";
import { silentLogger } from "../cli/src/base/logger.ts";
import { workspace } from "../cli/src/base/workspace.ts";
import { DEFAULT_LIMITS } from "../cli/src/containers/runner.ts";
import type { TaskInterface } from "../cli/src/containers/types.ts";
import { loadGovernance } from "../cli/src/governance/loader.ts";
import { containerTask } from "../cli/src/site/container-task.ts";
import { preparedPaths } from "../cli/src/site/prepare.ts";
import { runSite } from "../cli/src/site/run.ts";
import { createRunner, siteLimits } from "../cli/src/site/runners.ts";
import { isolatedDockerRunFlags } from "../cli/test/helpers/docker.ts";
import {
  DATASET,
  demoImageRefs,
  onlyModels,
  prepareDemoDataset,
  removeImages,
  SITE,
  siteWorld,
} from "../cli/test/site/site-fixture.ts";

const rounds = Number(process.argv[2] ?? 5);
const repo = resolve(import.meta.dirname, "..");
const docker = new Docker();

console.log("setting up: the CLI bundle (scripts/build.mjs), demo images, a prepared dataset");
execFileSync(process.execPath, [join(repo, "scripts/build.mjs")], { cwd: repo, stdio: "inherit" });
const cli = join(repo, "bin/fedeval.js");
const images = await buildDemoImages(docker, "fedeval-bench-site-run");
const prepared = await prepareDemoDataset(images, docker);
const world = await siteWorld(images, prepared, onlyModels(["reference-logistic"]));
const { index } = await loadGovernance(world.root);
const folder = index.benchmarks.get(DEMO_BENCHMARK);
const benchmark = folder?.benchmark?.data;
if (!folder || !benchmark) throw new Error("demo benchmark did not load");
const infer = containerTask(folder, benchmark.containers.reference_model, "infer");
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

/** `fedeval run` (bin/fedeval.js) in the workspace `home`; returns its wall time and output. */
function fedevalRun(home: string): { ms: number; stdout: string } {
  const start = performance.now();
  const stdout = execFileSync(process.execPath, [cli, "run", "--site", SITE], {
    cwd: world.root,
    env: { FEDEVAL_HOME: home, PATH: process.env.PATH },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  return { ms: performance.now() - start, stdout };
}

/**
 * One full `fedeval run` in a fresh workspace holding the prepared dataset, then a second one in
 * the same workspace, which finds its result in the outbox and runs nothing: fedeval's fixed cost
 * (start-up, loading and validating the governance repository, git, lock, plan).
 */
function viaFedeval(): { full: number; nothing: number } {
  const home = mkdtempSync(join(tmpdir(), "fedeval-bench-home-"));
  const rel = join("sites", SITE, "datasets", DEMO_BENCHMARK, DATASET);
  cpSync(join(world.home, rel), join(home, rel), { recursive: true, preserveTimestamps: true });
  const full = fedevalRun(home);
  if (!/1 triple: 1 ok/.test(full.stdout)) throw new Error(`fedeval run did not succeed:\n${full.stdout}`);
  const nothing = fedevalRun(home);
  if (!/nothing to run/.test(nothing.stdout))
    throw new Error(`the second run ran something:\n${nothing.stdout}`);
  rmSync(home, { recursive: true, force: true });
  return { full: full.ms, nothing: nothing.ms };
}

/** The same triple through runSite in this process: no CLI start-up, schemas already compiled. */
async function viaRunSite(): Promise<number> {
  const home = mkdtempSync(join(tmpdir(), "fedeval-bench-home-"));
  const rel = join("sites", SITE, "datasets", DEMO_BENCHMARK, DATASET);
  cpSync(join(world.home, rel), join(home, rel), { recursive: true, preserveTimestamps: true });
  const start = performance.now();
  const { index: fresh } = await loadGovernance(world.root);
  const report = await runSite({
    index: fresh,
    site: SITE,
    runner: await createRunner("docker", { home, cwd: world.root, env: {}, docker }),
    limits: siteLimits({}),
    workspace: workspace({ FEDEVAL_HOME: home }).site(SITE),
    logger: silentLogger,
  });
  const ms = performance.now() - start;
  if (report.outcomes[0]?.status !== "ok")
    throw new Error(`runSite did not succeed: ${report.outcomes[0]?.message}`);
  rmSync(home, { recursive: true, force: true });
  return ms;
}

/** `docker run` of one task with the flags the Docker runner sets. */
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

/** The same two containers, started directly. */
function viaDockerRun(): number {
  const scratch = mkdtempSync(join(tmpdir(), "fedeval-bench-scratch-"));
  const p = (...parts: string[]) => join(scratch, ...parts);
  for (const dir of ["predictions", "additional_files", "results"]) mkdirSync(p(dir));
  writeFileSync(p("model-parameters.yaml"), "{}\n");
  writeFileSync(p("results", "results.yaml"), "");
  const start = performance.now();
  dockerRun(images.models["reference-logistic"] as string, infer, {
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
  const ms = performance.now() - start;
  rmSync(scratch, { recursive: true, force: true });
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
viaFedeval(); // warm-up: page cache, image layers
viaDockerRun();
const fedeval: number[] = [];
const fixed: number[] = [];
const direct: number[] = [];
const inProcess: number[] = [];
for (let i = 0; i < rounds; i++) {
  const f = viaFedeval();
  fedeval.push(f.full);
  fixed.push(f.nothing);
  direct.push(viaDockerRun());
  inProcess.push(await viaRunSite());
}
await removeImages(docker, demoImageRefs(images));

const f = median(fedeval);
const d = median(direct);
const z = median(fixed);
const overhead = f - d;
const percent = (100 * overhead) / d;
const list = (xs: number[]) => `[${xs.map((x) => x.toFixed(0)).join(", ")}]`;
console.log(
  `rounds: ${rounds} (medians; dataset ${DATASET}: 900 cases, model reference-logistic + evaluator)`,
);
console.log(`fedeval run (CLI, whole triple):   ${f.toFixed(0)} ms   ${list(fedeval)}`);
console.log(`docker run × 2 (same containers):  ${d.toFixed(0)} ms   ${list(direct)}`);
console.log(`overhead: ${overhead.toFixed(0)} ms (${percent.toFixed(1)} %), ratio ${(f / d).toFixed(2)}`);
console.log(`  of which fixed (fedeval run with nothing to do): ${z.toFixed(0)} ms   ${list(fixed)}`);
console.log(`  per triple (overhead - fixed): ${(overhead - z).toFixed(0)} ms`);
const p = median(inProcess);
console.log(
  `runSite in-process (no CLI start-up): ${p.toFixed(0)} ms   ${list(inProcess)}; overhead ${(p - d).toFixed(0)} ms (${((100 * (p - d)) / d).toFixed(1)} %)`,
);
const ok = percent <= 5 || overhead <= 300;
console.log(`target ≤ 5 % or ≤ 300 ms: ${ok ? "met" : "NOT met"}`);
