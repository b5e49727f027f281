import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import Docker from "dockerode";
import { parseByteSize } from "../../src/base/bytes.ts";
import { ExternalError, UserError } from "../../src/base/errors.ts";
import { DockerRunner, deviceRequests, parseGpus } from "../../src/containers/docker-runner.ts";
import { buildNodeImage, NODE_IN_IMAGE } from "../../src/containers/node-image.ts";
import {
  DEFAULT_LIMITS,
  ImageRefusedError,
  type PullProgress,
  type RunLimits,
  type TaskRunRequest,
} from "../../src/containers/runner.ts";
import type { TaskInterface } from "../../src/containers/types.ts";
import { containersLabelled, dockerForTests, serveTinyImage, testRunLabel } from "../helpers/docker.ts";

const { docker, skip } = await dockerForTests();
const run = testRunLabel();
const limits: RunLimits = {
  ...DEFAULT_LIMITS,
  memoryBytes: 64 * 2 ** 20,
  pids: 64,
  timeoutMs: 10_000,
  tmpBytes: 8 * 2 ** 20,
  shmBytes: 8 * 2 ** 20,
  outputBytes: 8 * 2 ** 20,
};
const happyTask: TaskInterface = {
  name: "infer",
  inputs: [{ name: "data_path", mountPath: "/mnt/data", type: "directory" }],
  outputs: [
    { name: "output_path", mountPath: "/mnt/results.yaml", type: "file" },
    { name: "report_path", mountPath: "/mnt/report", type: "directory" },
  ],
  entrypoint: [NODE_IN_IMAGE, "/app/happy.mjs"],
  args: ["--data_path=/mnt/data", "--output_path=/mnt/results.yaml", "--report_path=/mnt/report"],
};

test("parseGpus reads --gpus all, a count or device ids, and refuses anything else", () => {
  assert.equal(parseGpus("all"), "all");
  assert.equal(parseGpus("2"), 2);
  assert.deepEqual(parseGpus("device=0,1"), { deviceIds: ["0", "1"] });
  assert.deepEqual(parseGpus('"device=GPU-3a2b"'), { deviceIds: ["GPU-3a2b"] });
  for (const bad of ["0", "-1", "some", "device=", "device=0;rm"])
    assert.throws(() => parseGpus(bad), UserError);
  assert.deepEqual(deviceRequests("all"), [{ Driver: "", Count: -1, Capabilities: [["gpu"]] }]);
  assert.deepEqual(deviceRequests({ deviceIds: ["1"] }), [
    { Driver: "", DeviceIDs: ["1"], Capabilities: [["gpu"]] },
  ]);
});

test("parseByteSize reads Docker-style sizes", () => {
  assert.equal(parseByteSize("64m"), 64 * 2 ** 20);
  assert.equal(parseByteSize("1.5GiB"), 1.5 * 2 ** 30);
  assert.equal(parseByteSize("4096"), 4096);
  assert.throws(() => parseByteSize("lots"), UserError);
});

test("an unreachable Docker Engine is an ExternalError with a hint", async () => {
  const runner = new DockerRunner(new Docker({ socketPath: "/nonexistent/docker.sock" }));
  const err = await runner.ensureImage(`sha256:${"a".repeat(64)}`).catch((e: unknown) => e);
  assert.ok(err instanceof ExternalError && !(err instanceof ImageRefusedError), String(err));
  assert.match(err.message, /cannot reach the Docker Engine/);
  assert.match(err.hint ?? "", /start Docker/);
});

describe("docker runner", { skip }, () => {
  const runner = new DockerRunner(docker);
  let imageId: string;
  let work: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), "fedeval-runner-"));
    const happy = fileURLToPath(new URL("hostile/happy.mjs", import.meta.url));
    imageId = await buildNodeImage(docker, {
      tag: `fedeval-test/runner:${run.labels["fedeval.run"]}`,
      files: { "/app/happy.mjs": { hostPath: happy } },
    });
  });
  after(async () => {
    await docker.getImage(imageId).remove({ force: true });
    await rm(work, { recursive: true, force: true });
  });

  async function request(task: TaskInterface, more: Partial<TaskRunRequest> = {}): Promise<TaskRunRequest> {
    const dir = await mkdtemp(join(work, "task-"));
    await writeFile(join(dir, "data.txt"), "three small words");
    return {
      image: await runner.ensureImage(imageId),
      task,
      mounts: {
        data_path: dir,
        output_path: join(dir, "out", "results.yaml"),
        report_path: join(dir, "out", "report"),
      },
      limits,
      logFile: join(dir, "task.log"),
      labels: run.labels,
      ...more,
    };
  }

  test("a locally built image is pinned by its id", async () => {
    assert.deepEqual(await runner.ensureImage(imageId), { ref: imageId, id: imageId, volumes: [] });
  });

  test("a missing local image is refused in one line", async () => {
    const missing = `sha256:${"0".repeat(64)}`;
    await assert.rejects(runner.ensureImage(missing), {
      name: "ImageRefusedError",
      message: `image ${missing} is not in the Docker Engine`,
    });
  });

  test("an image named by a tag only is refused", async () => {
    await assert.rejects(runner.ensureImage(`fedeval-test/runner:${run.labels["fedeval.run"]}`), {
      name: "ImageRefusedError",
      message: /is not pinned: use name@sha256:<digest>/,
    });
  });

  test("a happy task reads its input and writes its outputs, owned by the invoking user", async () => {
    const req = await request(happyTask);
    const outcome = await runner.runTask(req);
    assert.equal(outcome.status, "ok", outcome.message);
    assert.equal(outcome.exitCode, 0);
    assert.match(outcome.message, /^task infer finished in [\d.]+ s$/);
    const results = req.mounts.output_path as string;
    assert.equal(await readFile(results, "utf8"), "words: 3\n");
    assert.equal(
      await readFile(join(req.mounts.report_path as string, "report.txt"), "utf8"),
      "THREE SMALL WORDS",
    );
    for (const path of [results, join(req.mounts.report_path as string, "report.txt")]) {
      const s = await stat(path);
      assert.deepEqual([s.uid, s.gid], [process.getuid?.(), process.getgid?.()]);
    }
    const log = await readFile(req.logFile, "utf8");
    assert.match(log, /^== task infer, image sha256:/);
    assert.match(log, /read 17 bytes\n/);
    assert.match(log, /a line on stderr\n/);
    assert.deepEqual(
      [...outcome.logTail].sort(),
      ["a line on stderr", "read 17 bytes"],
      "tail holds both streams",
    );
    assert.deepEqual(await containersLabelled(docker, run.filter), []);
  });

  test("a missing input is a UserError and nothing runs", async () => {
    const req = await request(happyTask);
    req.mounts.data_path = join(work, "no-such-dir");
    await assert.rejects(runner.runTask(req), { name: "UserError", message: /data_path .* does not exist/ });
    assert.deepEqual(await containersLabelled(docker, run.filter), []);
  });

  test("an entrypoint missing from the image fails the task in one line", async () => {
    const outcome = await runner.runTask(await request({ ...happyTask, entrypoint: ["/no/such/binary"] }));
    assert.equal(outcome.status, "failed");
    assert.equal(outcome.exitCode, null);
    assert.match(outcome.message, /^task infer could not start: .*no such file or directory/);
    assert.doesNotMatch(outcome.message, /\n/);
    assert.deepEqual(await containersLabelled(docker, run.filter), []);
  });

  test("GPUs requested where Docker has no GPU support: an ExternalError, no container left", async () => {
    const req = await request(happyTask, { limits: { ...limits, gpus: "all" } });
    const err = await runner.runTask(req).catch((e: unknown) => e);
    assert.ok(err instanceof ExternalError, String(err));
    assert.match(err.message, /^Docker cannot give containers GPUs here: could not select device driver/);
    assert.match(err.hint ?? "", /NVIDIA Container Toolkit/);
    assert.deepEqual(await containersLabelled(docker, run.filter), []);
  });

  describe("pulling by digest from a registry", () => {
    const name = "fedeval-test/tiny";
    let registry: Awaited<ReturnType<typeof serveTinyImage>>;
    before(async () => {
      registry = await serveTinyImage(name);
    });
    after(async () => {
      registry.close();
      const ids = (await docker.listImages({ filters: { reference: [`${registry.host}/${name}`] } })).map(
        (i) => i.Id,
      );
      for (const id of ids) await docker.getImage(id).remove({ force: true });
    });

    test("pulls with progress and checks RepoDigests", async () => {
      const ref = `${registry.host}/${name}@${registry.digest}`;
      const progress: PullProgress[] = [];
      const image = await runner.ensureImage(ref, (e) => progress.push(e));
      assert.equal(image.repoDigest, ref);
      assert.match(image.id, /^sha256:[0-9a-f]{64}$/);
      assert.ok(
        progress.some((e) => /Pull complete|Download complete/.test(e.status)),
        JSON.stringify(progress),
      );
      const again: PullProgress[] = [];
      assert.deepEqual(await runner.ensureImage(ref, (e) => again.push(e)), image);
      assert.deepEqual(again, [], "an image already present is not pulled again");
    });

    test("content that does not match the pinned digest is refused before anything runs", async () => {
      const ref = `${registry.host}/${name}@sha256:${"1".repeat(64)}`;
      const err = await runner.ensureImage(ref).catch((e: unknown) => e);
      assert.ok(err instanceof ImageRefusedError, String(err));
      assert.equal(
        err.message,
        `image ${ref} does not match its digest: manifest verification failed for digest ${ref.split("@")[1]}`,
      );
      assert.match(err.hint ?? "", /do not run it/);
      assert.doesNotMatch(err.message, /\n/);
    });

    test("an image the registry does not have is refused in one line", async () => {
      const ref = `${registry.host}/fedeval-test/absent@${registry.digest}`;
      await assert.rejects(runner.ensureImage(ref), {
        name: "ImageRefusedError",
        message:
          /^cannot pull image 127\.0\.0\.1:\d+\/fedeval-test\/absent@sha256:[0-9a-f]+: .*manifest unknown/,
      });
    });
  });
});
