/**
 * Overhead of the Docker runner: one trivial task (read an input file, write an output file) run
 * through DockerRunner.runTask versus the same container started directly with `docker run` and
 * the same mounts and limits. Needs a Docker Engine and the docker CLI.
 *
 *   node --import tsx scripts/bench-run.ts [rounds]
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import Docker from "dockerode";
import { DockerRunner } from "../cli/src/containers/docker-runner.ts";
import { buildNodeImage, NODE_IN_IMAGE } from "../cli/src/containers/node-image.ts";
import { DEFAULT_LIMITS, type RunLimits } from "../cli/src/containers/runner.ts";
import { isolatedDockerRunFlags } from "../cli/test/helpers/docker.ts";

const rounds = Number(process.argv[2] ?? 10);
const docker = new Docker();
const runner = new DockerRunner(docker);
const work = mkdtempSync(join(tmpdir(), "fedeval-bench-run-"));
const program = `const fs = require("node:fs");
fs.writeFileSync("/mnt/out/result.txt", fs.readFileSync("/mnt/data/data.txt", "utf8").toUpperCase());`;
const limits: RunLimits = { ...DEFAULT_LIMITS, memoryBytes: 256 * 2 ** 20, timeoutMs: 60_000 };

const t0 = performance.now();
const imageId = await buildNodeImage(docker, {
  tag: "fedeval-bench/run:latest",
  files: { "/app/main.js": program },
});
const buildMs = performance.now() - t0;
const image = await runner.ensureImage(imageId);
writeFileSync(join(work, "data.txt"), "some data");

async function viaRunner(i: number): Promise<number> {
  const start = performance.now();
  const outcome = await runner.runTask({
    image,
    task: {
      name: "infer",
      inputs: [{ name: "data_path", mountPath: "/mnt/data", type: "directory" }],
      outputs: [{ name: "output_path", mountPath: "/mnt/out", type: "directory" }],
      entrypoint: [NODE_IN_IMAGE, "/app/main.js"],
      args: [],
    },
    mounts: { data_path: work, output_path: join(work, `runner-${i}`) },
    limits,
    logFile: join(work, "runner.log"),
  });
  if (outcome.status !== "ok") throw new Error(outcome.message);
  return performance.now() - start;
}

function viaDockerRun(i: number): number {
  const out = join(work, `cli-${i}`);
  mkdirSync(out);
  const start = performance.now();
  execFileSync("docker", [
    "run",
    ...isolatedDockerRunFlags(limits),
    `--mount=type=bind,source=${work},target=/mnt/data,readonly`,
    `--mount=type=bind,source=${out},target=/mnt/out`,
    "--entrypoint",
    NODE_IN_IMAGE,
    imageId,
    "/app/main.js",
  ]);
  return performance.now() - start;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const runnerMs: number[] = [];
const cliMs: number[] = [];
await viaRunner(-1); // warm-up
viaDockerRun(-1);
for (let i = 0; i < rounds; i++) {
  runnerMs.push(await viaRunner(i));
  cliMs.push(viaDockerRun(i));
}
await docker.getImage(imageId).remove({ force: true });
rmSync(work, { recursive: true, force: true });

const r = median(runnerMs);
const c = median(cliMs);
console.log(`image build (FROM scratch + node): ${buildMs.toFixed(0)} ms`);
console.log(`median of ${rounds} runs of one trivial task:`);
console.log(`  docker run (baseline)  ${c.toFixed(0)} ms`);
console.log(`  DockerRunner.runTask   ${r.toFixed(0)} ms`);
console.log(
  `  overhead               ${(r - c).toFixed(0)} ms (${((r / c - 1) * 100).toFixed(1)}%), ratio ${(r / c).toFixed(2)}`,
);
