/**
 * The Docker runner against Podman's Docker-compatible API (`podman system service`), started here:
 * - rootful: the whole hostile-container suite (runner-hostile.test.ts) passes against it, and
 *   `fedeval doctor` names Podman, its version and what the runner does differently;
 * - rootless (as ROOTLESS_USER): doctor says rootless; where the machine has cgroups v1 (as here),
 *   the memory and pids limits cannot be enforced rootless, so doctor fails and the runner refuses
 *   every task in one line before creating any container.
 *
 * The suite runs in a child process under the Podman service's own process limit: where root
 * may not raise limits (no CAP_SYS_RESOURCE, as on these machines), Podman lowers its own to what
 * it can, and the runner gives each task fedeval's own open-files and processes limits, which the
 * engine can only grant when they are no higher than its own.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { checkSiteMachine } from "../../src/app/doctor.ts";
import { ExternalError } from "../../src/base/errors.ts";
import { DockerRunner } from "../../src/containers/docker-runner.ts";
import { describeEngine } from "../../src/containers/engine.ts";
import { DEFAULT_LIMITS } from "../../src/containers/runner.ts";
import { type PodmanService, podmanSkip, startPodman } from "../helpers/podman.ts";

const HOSTILE = resolve(import.meta.dirname, "runner-hostile.test.ts");

async function doctorLine(podman: PodmanService) {
  const home = await mkdtemp(join(tmpdir(), "fedeval-home-"));
  const { checks } = await checkSiteMachine({
    cwd: home,
    env: { FEDEVAL_HOME: home },
    docker: podman.docker,
  });
  return checks.find((c) => c.check === "docker");
}

describe("Podman, rootful", { skip: podmanSkip(false) }, () => {
  let podman: PodmanService;
  before(async () => {
    podman = await startPodman(false);
  });
  after(() => podman?.stop());

  test("the hostile-container suite passes against Podman's Docker-compatible API", () => {
    // a test runner of its own, reporting as TAP (not to this one: NODE_TEST_CONTEXT unset)
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    const r = spawnSync(
      "prlimit",
      [
        `--nproc=${podman.nproc}:${podman.nproc}`,
        process.execPath,
        "--import",
        "tsx",
        "--test",
        "--test-reporter=tap",
        HOSTILE,
      ],
      { encoding: "utf8", env: { ...env, DOCKER_HOST: podman.host } },
    );
    const summary = r.stdout.slice(r.stdout.lastIndexOf("# tests"));
    assert.equal(r.status, 0, `${r.stdout.slice(-4000)}\n${r.stderr}`);
    assert.match(
      r.stdout,
      /^# Subtest: hostile containers on Podman \d+\.\d+\.\d+ \(rootful, cgroups v\d\)$/m,
    );
    assert.match(summary, /^# pass 13$/m);
    assert.match(summary, /^# fail 0$/m);
    assert.match(summary, /^# skipped 0$/m);
  });

  test("doctor names Podman, its version, rootful, and what the runner does differently", async () => {
    const engine = await describeEngine(podman.docker);
    assert.equal(engine.name, "Podman");
    assert.equal(engine.rootless, false);
    assert.equal(
      engine.version,
      (await podman.docker.version()).Components?.find((c) => c.Name === "Podman Engine")?.Version,
    );
    const line = await doctorLine(podman);
    assert.equal(line?.status, "ok");
    assert.match(
      line?.detail ?? "",
      new RegExp(
        `^Podman ${engine.version} \\(rootful, cgroups v${engine.cgroupVersion}\\), API [\\d.]+; tasks get fedeval's own open-files and processes limits`,
      ),
    );
  });
});

describe("Podman, rootless", { skip: podmanSkip(true) }, () => {
  let podman: PodmanService;
  before(async () => {
    podman = await startPodman(true);
  });
  after(() => podman?.stop());

  test("doctor says rootless; on cgroups v1 it fails, and the runner refuses every task in one line", async () => {
    const engine = await describeEngine(podman.docker);
    assert.equal(engine.name, "Podman");
    assert.equal(engine.rootless, true);
    const line = await doctorLine(podman);
    assert.match(
      line?.detail ?? "",
      /^Podman [\d.]+ \(rootless, cgroups v\d\), API [\d.]+;.* tasks keep the invoking uid:gid through UsernsMode keep-id/,
    );
    if (engine.cgroupVersion !== "1") {
      assert.deepEqual(engine.unenforced, []);
      assert.equal(line?.status, "ok");
      return;
    }
    assert.equal(line?.status, "fail");
    assert.match(
      line?.detail ?? "",
      /memory and pids limits are not enforced rootless on cgroups v1: fedeval refuses to run tasks/,
    );
    const work = await mkdtemp(join(tmpdir(), "fedeval-rootless-"));
    await assert.rejects(
      new DockerRunner(podman.docker).runTask({
        image: { ref: "sha256:0", id: "sha256:0" },
        task: {
          name: "infer",
          inputs: [],
          outputs: [{ name: "output_path", mountPath: "/mnt/out", type: "directory" }],
          args: [],
        },
        mounts: { output_path: join(work, "out") },
        limits: DEFAULT_LIMITS,
        logFile: join(work, "task.log"),
      }),
      (e: unknown) =>
        e instanceof ExternalError &&
        /^Podman [\d.]+ \(rootless, cgroups v1\) would not enforce the memory and pids limits of a task, so fedeval runs none there$/.test(
          e.message,
        ),
    );
    assert.deepEqual(await podman.docker.listContainers({ all: true }), []);
  });
});
