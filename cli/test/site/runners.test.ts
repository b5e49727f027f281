import assert from "node:assert/strict";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { UsageError, UserError } from "../../src/base/errors.ts";
import { DEFAULT_LIMITS } from "../../src/containers/runner.ts";
import type { TaskInterface } from "../../src/containers/types.ts";
import { gpuNames, hardwareText } from "../../src/site/hardware.ts";
import {
  createRunner,
  parseDuration,
  processImagesFile,
  pullProgress,
  readProcessEntrypoints,
  saveProcessEntrypoints,
  siteLimits,
  taskLimits,
} from "../../src/site/runners.ts";

const task: TaskInterface = { name: "infer", inputs: [], outputs: [], args: [], shmSize: "64m" };

test("limit flags: sizes, durations and GPUs as Docker spells them; bad values are usage errors", () => {
  const { limits, shmFromFlag } = siteLimits({
    memory: "16g",
    timeout: "90m",
    gpus: "device=0,1",
    maxOutput: "20g",
  });
  assert.equal(limits.memoryBytes, 16 * 2 ** 30);
  assert.equal(limits.timeoutMs, 90 * 60_000);
  assert.deepEqual(limits.gpus, { deviceIds: ["0", "1"] });
  assert.equal(limits.outputBytes, 20 * 2 ** 30);
  assert.equal(limits.pids, DEFAULT_LIMITS.pids);
  assert.equal(shmFromFlag, false);
  assert.equal(parseDuration("90"), 90_000);
  assert.equal(parseDuration("2h"), 7_200_000);
  assert.equal(parseDuration("500ms"), 500);
  for (const bad of ["", "0", "ten minutes", "-5s"]) assert.throws(() => parseDuration(bad), UsageError);
  assert.throws(() => siteLimits({ memory: "lots" }), /--memory: not a size/);
});

test("a definition's shm_size applies unless --shm-size was given", () => {
  assert.equal(taskLimits(siteLimits({}), task).shmBytes, 64 * 2 ** 20);
  assert.equal(taskLimits(siteLimits({ shmSize: "2g" }), task).shmBytes, 2 * 2 ** 30);
  assert.throws(() => taskLimits(siteLimits({}), { ...task, shmSize: "big" }), UserError);
});

test("process-images.json maps image refs to host commands, and entries are merged", async () => {
  const home = await mkdtemp(join(tmpdir(), "fedeval-home-"));
  assert.deepEqual(await readProcessEntrypoints(home), {});
  await saveProcessEntrypoints(home, { "sha256:a": ["node", "a.mjs"] });
  await saveProcessEntrypoints(home, { "sha256:b": ["node", "b.mjs"] });
  assert.deepEqual(JSON.parse(await readFile(processImagesFile(home), "utf8")), {
    "sha256:a": ["node", "a.mjs"],
    "sha256:b": ["node", "b.mjs"],
  });
  await writeFile(processImagesFile(home), "[]");
  await assert.rejects(readProcessEntrypoints(home), /must map image refs to commands/);
});

test("a process-runner task gets no credentials from fedeval's environment", async () => {
  const home = await mkdtemp(join(tmpdir(), "fedeval-home-"));
  const program =
    "require('node:fs').writeFileSync(process.env.FEDEVAL_MOUNT_OUTPUT_PATH + '/env.json', JSON.stringify(process.env))";
  await saveProcessEntrypoints(home, { "sha256:env": [process.execPath, "-e", program] });
  const env = { PATH: process.env.PATH, GITHUB_TOKEN: "ghp_secret", DOCKER_HOST: "tcp://x", LANG: "C.UTF-8" };
  const runner = await createRunner("process", { home, cwd: home, env });
  assert.equal(runner.isolation, "none");
  const out = join(home, "out");
  const outcome = await runner.runTask({
    image: await runner.ensureImage("sha256:env"),
    task: {
      name: "infer",
      inputs: [],
      outputs: [{ name: "output_path", mountPath: "/out", type: "directory" }],
      args: [],
    },
    mounts: { output_path: out },
    limits: { ...DEFAULT_LIMITS, timeoutMs: 10_000 },
    logFile: join(home, "task.log"),
  });
  assert.equal(outcome.status, "ok", outcome.message);
  const seen = JSON.parse(await readFile(join(out, "env.json"), "utf8"));
  assert.equal(seen.LANG, "C.UTF-8");
  assert.equal(seen.PATH, process.env.PATH);
  assert.equal(seen.GITHUB_TOKEN, undefined);
  assert.equal(seen.DOCKER_HOST, undefined);
});

test("hardware text is short printable ASCII; GPU names come from nvidia-smi when it runs", async () => {
  assert.equal(hardwareText("  Intel(R)\tXeon(R)  Gold™ 6338 "), "Intel(R) Xeon(R) Gold 6338");
  assert.equal(hardwareText("x".repeat(150))?.length, 100);
  assert.equal(await gpuNames(async () => "NVIDIA L4\nNVIDIA L4\n"), "2 x NVIDIA L4");
  assert.equal(await gpuNames(async () => "NVIDIA L4\nNVIDIA A100\n"), "NVIDIA L4, NVIDIA A100");
  assert.equal(
    await gpuNames(async () => {
      throw Object.assign(new Error("spawn nvidia-smi ENOENT"), { code: "ENOENT" });
    }),
    undefined,
  );
});

test("an image pull shows bytes downloaded over bytes announced, summed over layers", () => {
  const lines: string[] = [];
  const show = pullProgress({ info() {}, warn() {}, progress: (m) => lines.push(m) }, "reg/model@sha256:ab");
  show({ status: "Pulling fs layer", layer: "a" });
  show({ status: "Downloading", layer: "a", current: 2 ** 20, total: 4 * 2 ** 20 });
  show({ status: "Downloading", layer: "b", current: 2 ** 20, total: 2 ** 30 });
  show({ status: "Downloading", layer: "a", current: 4 * 2 ** 20, total: 4 * 2 ** 20 });
  assert.deepEqual(lines, [
    "pulling reg/model@sha256:ab: 1 MiB of 4 MiB (1 layers so far)",
    "pulling reg/model@sha256:ab: 2 MiB of 1 GiB (2 layers so far)",
    "pulling reg/model@sha256:ab: 5 MiB of 1 GiB (2 layers so far)",
  ]);
});
