import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { ProcessRunner } from "../../src/containers/process-runner.ts";
import { DEFAULT_LIMITS, type RunLimits } from "../../src/containers/runner.ts";
import type { TaskInterface } from "../../src/containers/types.ts";

const hostile = (name: string) => fileURLToPath(new URL(`hostile/${name}`, import.meta.url));
const limits: RunLimits = { ...DEFAULT_LIMITS, timeoutMs: 2000, outputBytes: 8 * 2 ** 20 };
let work: string;
let runner: ProcessRunner;

before(async () => {
  work = await mkdtemp(join(tmpdir(), "fedeval-process-"));
  runner = new ProcessRunner({
    cwd: work,
    env: { PATH: process.env.PATH },
    entrypoints: { "sha256:happy": [process.execPath, hostile("happy.mjs")] },
  });
});
after(() => rm(work, { recursive: true, force: true }));

const happyTask: TaskInterface = {
  name: "infer",
  inputs: [{ name: "data_path", mountPath: "/mnt/data", type: "directory" }],
  outputs: [
    { name: "output_path", mountPath: "/mnt/results.yaml", type: "file" },
    { name: "report_path", mountPath: "/mnt/report", type: "directory" },
  ],
  args: ["--data_path=/mnt/data", "--output_path=/mnt/results.yaml", "--report_path=/mnt/report"],
};

test("the process runner is marked as not isolated", () => {
  assert.equal(runner.kind, "process");
  assert.equal(runner.isolation, "none");
});

test("a task runs as a host process, with mount paths replaced by host paths", async () => {
  const dir = await mkdtemp(join(work, "happy-"));
  await writeFile(join(dir, "data.txt"), "three small words");
  const mounts = {
    data_path: dir,
    output_path: join(dir, "out", "results.yaml"),
    report_path: join(dir, "out", "report"),
  };
  const image = await runner.ensureImage("sha256:happy");
  const outcome = await runner.runTask({
    image,
    task: happyTask,
    mounts,
    limits,
    logFile: join(dir, "task.log"),
  });
  assert.equal(outcome.status, "ok", outcome.message);
  assert.equal(outcome.exitCode, 0);
  assert.equal(await readFile(mounts.output_path, "utf8"), "words: 3\n");
  assert.equal(await readFile(join(mounts.report_path, "report.txt"), "utf8"), "THREE SMALL WORDS");
  assert.match(
    await readFile(join(dir, "task.log"), "utf8"),
    /^== task infer, image sha256:happy, process\n/,
  );
  assert.deepEqual([...outcome.logTail].sort(), ["a line on stderr", "read 17 bytes"]);
});

test("mount host paths are also given as FEDEVAL_MOUNT_* variables, and TMPDIR is private", async () => {
  const dir = await mkdtemp(join(work, "env-"));
  const print = "console.log(process.env.FEDEVAL_MOUNT_OUTPUT_PATH, process.env.TMPDIR)";
  const outcome = await runner.runTask({
    image: await runner.ensureImage("sha256:any"),
    task: {
      name: "statistics",
      inputs: [],
      outputs: [{ name: "output_path", mountPath: "/mnt/out", type: "directory" }],
      entrypoint: [process.execPath, "-e", print],
      args: [],
    },
    mounts: { output_path: join(dir, "out") },
    limits,
    logFile: join(dir, "task.log"),
  });
  assert.equal(outcome.status, "ok", outcome.message);
  const [output, tmp] = (outcome.logTail[0] ?? "").split(" ");
  assert.equal(output, join(dir, "out"));
  assert.match(tmp ?? "", /fedeval-task-/);
});

test("a task that never exits is killed at its timeout", async () => {
  const dir = await mkdtemp(join(work, "never-"));
  const outcome = await runner.runTask({
    image: await runner.ensureImage("sha256:never"),
    task: {
      name: "infer",
      inputs: [],
      outputs: [],
      entrypoint: [process.execPath, hostile("never-exit.mjs")],
      args: [],
    },
    mounts: {},
    limits,
    logFile: join(dir, "task.log"),
  });
  assert.equal(outcome.status, "timeout");
  assert.equal(outcome.exitCode, 137);
  assert.equal(outcome.message, "task infer did not finish within 2 s and was killed");
  assert.deepEqual(outcome.logTail, ["waiting forever"]);
});

test("a task with no entrypoint and no host command for its image is refused", async () => {
  const image = await runner.ensureImage("sha256:unknown");
  await assert.rejects(
    runner.runTask({
      image,
      task: { ...happyTask, inputs: [], outputs: [] },
      mounts: {},
      limits,
      logFile: join(work, "x.log"),
    }),
    { name: "UserError", message: /needs a host command for image sha256:unknown/ },
  );
});

test("a command that does not exist fails in one line", async () => {
  const outcome = await runner.runTask({
    image: await runner.ensureImage("sha256:missing"),
    task: {
      name: "evaluate",
      inputs: [],
      outputs: [],
      entrypoint: [join(work, "no-such-program")],
      args: [],
    },
    mounts: {},
    limits,
    logFile: join(work, "missing.log"),
  });
  assert.equal(outcome.status, "failed");
  assert.match(outcome.message, /^task evaluate could not start: spawn .*no-such-program ENOENT$/);
});
