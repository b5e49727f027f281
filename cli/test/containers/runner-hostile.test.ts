/**
 * Hostile containers against the real engine at DOCKER_HOST (Docker, or Podman's compatible API:
 * runner-hostile-podman.test.ts runs this file against Podman): each program in ./hostile tries
 * one thing a model must not do; the runner contains it, reports it in one line, and leaves no
 * container. Where an engine reports differently (engine.ts), the expectation says so.
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { DockerRunner } from "../../src/containers/docker-runner.ts";
import { describeEngine, engineLine } from "../../src/containers/engine.ts";
import { buildNodeImage, NODE_IN_IMAGE } from "../../src/containers/node-image.ts";
import {
  DEFAULT_LIMITS,
  type ResolvedImage,
  type RunLimits,
  type TaskRunOutcome,
  type TaskRunRequest,
} from "../../src/containers/runner.ts";
import { containersLabelled, dockerForTests, testRunLabel } from "../helpers/docker.ts";

const { docker, skip } = await dockerForTests();
const engine = skip ? undefined : await describeEngine(docker);
const run = testRunLabel();
const MiB = 2 ** 20;
const limits: RunLimits = {
  ...DEFAULT_LIMITS,
  memoryBytes: 64 * MiB,
  pids: 32,
  timeoutMs: 2000,
  tmpBytes: 8 * MiB,
  shmBytes: 8 * MiB,
  outputBytes: 8 * MiB,
};
const hostileDir = fileURLToPath(new URL("hostile/", import.meta.url));

describe(`hostile containers on ${engine ? engineLine(engine) : "no engine"}`, { skip }, () => {
  const runner = new DockerRunner(docker);
  let image: ResolvedImage;
  let work: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), "fedeval-hostile-"));
    const files = Object.fromEntries(
      readdirSync(hostileDir).map((name) => [`/app/${name}`, { hostPath: join(hostileDir, name) }]),
    );
    const id = await buildNodeImage(docker, {
      tag: `fedeval-test/hostile:${run.labels["fedeval.run"]}`,
      files,
      // declared by the image: Docker alone would mount a writable anonymous volume at each
      volumes: ["/var/cache/model", "/mnt/out/cache"],
    });
    image = await runner.ensureImage(id);
  });
  afterEach(async () => {
    assert.deepEqual(await containersLabelled(docker, run.filter), [], "no container is left behind");
  });
  after(async () => {
    if (image) await docker.getImage(image.id).remove({ force: true });
    await rm(work, { recursive: true, force: true });
  });

  /**
   * Runs /app/<program> with /mnt/data (read-only, holding data.txt) and /mnt/out (writable),
   * within 30 s unless `more.limits` says otherwise (only the timeout test relies on the time limit:
   * a slower engine, Podman on a loaded machine, needs more than 2 s to start a container).
   */
  async function runProgram(
    program: string,
    args: string[] = [],
    more: Partial<TaskRunRequest> = {},
  ): Promise<TaskRunOutcome & { dir: string; log: string }> {
    const dir = await mkdtemp(join(work, `${program.replace(".mjs", "")}-`));
    await writeFile(join(dir, "data.txt"), "original data");
    const logFile = join(dir, "task.log");
    const outcome = await runner.runTask({
      image,
      task: {
        name: "infer",
        inputs: [{ name: "data_path", mountPath: "/mnt/data", type: "directory" }],
        outputs: [{ name: "output_path", mountPath: "/mnt/out", type: "directory" }],
        entrypoint: [NODE_IN_IMAGE, `/app/${program}`],
        args,
      },
      mounts: { data_path: dir, output_path: join(dir, "out") },
      limits: { ...limits, timeoutMs: 30_000 },
      logFile,
      labels: run.labels,
      ...more,
    });
    return { ...outcome, dir, log: await readFile(logFile, "utf8") };
  }

  test("the network: only loopback exists and the host cannot be reached", async () => {
    const hostAddress = Object.values(networkInterfaces())
      .flat()
      .find((a) => a?.family === "IPv4" && !a.internal)?.address as string;
    assert.ok(hostAddress, "the host has an address a networked container could reach");
    let connections = 0;
    const server: Server = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, "0.0.0.0", resolve));
    try {
      const port = String((server.address() as { port: number }).port);
      const outcome = await runProgram("network.mjs", [hostAddress, port]);
      assert.equal(outcome.status, "failed");
      assert.equal(
        outcome.message,
        `task infer failed with exit code 1: Error: connect ENETUNREACH ${hostAddress}:${port} - Local (0.0.0.0:0)`,
      );
      assert.match(outcome.log, /^interfaces: lo$/m);
      assert.doesNotMatch(outcome.log, /connected/);
      assert.equal(connections, 0);
    } finally {
      server.close();
    }
  });

  test("writing into its input mount is refused and the input is unchanged", async () => {
    const outcome = await runProgram("write-input.mjs");
    assert.equal(outcome.status, "failed");
    assert.equal(
      outcome.message,
      "task infer failed with exit code 1: Error: EROFS: read-only file system, open '/mnt/data/data.txt'",
    );
    assert.equal(await readFile(join(outcome.dir, "data.txt"), "utf8"), "original data");
  });

  // root in the container (still without capabilities) owns the image's files: only the layer stops it
  const root = { user: { uid: 0, gid: 0 } };

  test("writing outside its outputs lands in the container's own layer, discarded with it", async () => {
    for (const attempt of [1, 2]) {
      const outcome = await runProgram("write-outside.mjs", [], root);
      assert.equal(outcome.status, "ok", outcome.message);
      assert.match(outcome.log, /^planted before: false$/m, `run ${attempt} finds no file of an earlier run`);
      assert.match(outcome.log, /wrote \/tmp\/scratch\.txt/);
      assert.match(outcome.log, /wrote \/usr\/local\/bin\/planted/);
    }
    assert.deepEqual(await containersLabelled(docker, run.filter), []);
  });

  test("under strict isolation writing outside its outputs is refused: the root file system is read-only", async () => {
    const outcome = await runProgram("write-outside.mjs", [], { ...root, strict: true });
    assert.equal(outcome.status, "failed");
    assert.equal(
      outcome.message,
      "task infer failed with exit code 1: Error: EROFS: read-only file system, open '/usr/local/bin/planted'",
    );
    assert.match(outcome.log, /wrote \/tmp\/scratch\.txt/);
  });

  test("a VOLUME the image declares is read-only inside an output mount, elsewhere a discarded tmpfs", async () => {
    assert.deepEqual(image.volumes?.sort(), ["/mnt/out/cache", "/var/cache/model"]);
    for (const attempt of [1, 2]) {
      const outcome = await runProgram("write-volume.mjs");
      assert.equal(outcome.status, "ok", outcome.message);
      // inside the output mount: Docker would hide an anonymous volume there
      assert.match(outcome.log, /EROFS: read-only file system, open '\/mnt\/out\/cache\/kept'/);
      assert.match(outcome.log, /^planted before: false$/m, `run ${attempt}`);
      assert.match(outcome.log, /wrote \/var\/cache\/model\/planted/);
    }
  });

  test("under strict isolation no VOLUME the image declares is writable", async () => {
    const outcome = await runProgram("write-volume.mjs", [], { strict: true });
    assert.equal(outcome.status, "failed");
    assert.equal(
      outcome.message,
      "task infer failed with exit code 1: Error: EROFS: read-only file system, open '/var/cache/model/planted'",
    );
    assert.match(outcome.log, /EROFS: read-only file system, open '\/mnt\/out\/cache\/kept'/);
  });

  test("filling its writable root file system stops at the output limit", async () => {
    const outcome = await runProgram("fill-layer.mjs", [], {
      ...root,
      limits: { ...limits, timeoutMs: 20_000 },
    });
    assert.equal(outcome.status, "output-limit");
    assert.equal(outcome.message, "task infer exceeded the 8 MiB output limit");
    assert.match(outcome.log, /^10 MiB written$/m);
    assert.doesNotMatch(outcome.log, /^200 MiB written$/m);
  });

  test("a fork bomb stops at the pids limit", async () => {
    const outcome = await runProgram("fork-bomb.mjs");
    assert.equal(outcome.status, "failed");
    assert.equal(outcome.message, `task infer failed with exit code 1: Error: spawn ${NODE_IN_IMAGE} EAGAIN`);
    const started = Number(/started (\d+)\n(?![\s\S]*started)/.exec(outcome.log)?.[1]);
    assert.ok(started >= 1 && started < limits.pids, `started ${started} processes`);
  });

  test("unbounded allocation is killed at the memory limit and reported as oom (where the engine says so)", async () => {
    const outcome = await runProgram("allocate.mjs");
    assert.equal(outcome.exitCode, 137);
    if (engine?.reportsOom) {
      assert.equal(outcome.status, "oom");
      assert.equal(outcome.message, "task infer ran out of memory (limit 64 MiB) and was killed");
    } else {
      assert.equal(outcome.status, "killed");
      assert.equal(outcome.message, "task infer was killed (exit code 137)");
    }
    assert.match(outcome.logTail.join("\n"), /\d+ MiB/);
  });

  test("a task that never exits is killed at its timeout", async () => {
    const outcome = await runProgram("never-exit.mjs", [], { limits });
    assert.equal(outcome.status, "timeout");
    assert.equal(outcome.message, "task infer did not finish within 2 s and was killed");
    assert.deepEqual(outcome.logTail, ["waiting forever"]);
  });

  test("an interrupted run kills the container", async () => {
    const controller = new AbortController();
    const started = runProgram("never-exit.mjs", [], { signal: controller.signal });
    setTimeout(() => controller.abort(), 500);
    const outcome = await started;
    assert.equal(outcome.status, "killed");
    assert.equal(outcome.message, "task infer was interrupted");
  });

  test("one huge output file is cut at the output limit by the kernel", async () => {
    const outcome = await runProgram("huge-output.mjs");
    assert.equal(outcome.status, "output-limit");
    assert.equal(outcome.message, "task infer exceeded the 8 MiB output limit");
    assert.match(outcome.logTail.join("\n"), /EFBIG: file too large/);
    assert.equal((await stat(join(outcome.dir, "out", "huge.bin"))).size, limits.outputBytes);
  });

  test("ever more output files are stopped once their total reaches the output limit", async () => {
    const outcome = await runProgram("huge-output.mjs", ["many"]);
    assert.equal(outcome.status, "output-limit");
    assert.equal(outcome.message, "task infer exceeded the 8 MiB output limit");
    assert.ok(readdirSync(join(outcome.dir, "out")).length > 8);
  });
});
