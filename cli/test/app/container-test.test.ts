/**
 * `fedeval test` against the real Docker Engine: the reference model, a model file of the working
 * tree and a container definition outside it run with the benchmark's preparation and evaluator on
 * the demo dataset or on local data; per task, the report says what the container received, and a
 * probe model that prints what it sees checks that report against the container's own view.
 */
import assert from "node:assert/strict";
import { cp, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { LOCAL_MODEL, testContainers } from "../../src/app/container-test.ts";
import { buildDemoImages } from "../../src/app/demo/demo-images.ts";
import { UsageError } from "../../src/base/errors.ts";
import { silentLogger } from "../../src/base/logger.ts";
import { bufferIO } from "../../src/commands/io.ts";
import { testCommand } from "../../src/commands/test.ts";
import { buildNodeImage } from "../../src/containers/node-image.ts";
import { toYaml } from "../../src/formats/yaml-write.ts";
import { hashDatasetTree } from "../../src/site/tree-hash.ts";
import { dockerForTests } from "../helpers/docker.ts";
import { BENCHMARK, EVALUATOR_PARAMETERS, type TestImages } from "../helpers/fixtures.ts";
import { demoImageRefs, demoRepository, rawExport, removeImages } from "../site/site-fixture.ts";

const B = `benchmarks/${BENCHMARK}`;
const { docker, skip } = await dockerForTests();

/** A model that prints what it sees at its mounts (and whether it can write there), then fails. */
const PROBE = `import { accessSync, constants, statSync, readFileSync } from "node:fs";
const seen = {};
for (const p of process.argv.slice(2)) {
  let writable = true;
  try { accessSync(p, constants.W_OK); } catch { writable = false; }
  seen[p] = { type: statSync(p).isDirectory() ? "directory" : "file", writable };
}
seen.parameters = readFileSync("/mlcommons/volumes/parameters/parameters_file.yaml", "utf8");
seen.weights = readFileSync("/mlcommons/volumes/additional_files/weights.txt", "utf8");
seen.mode = process.env.PROBE_MODE ?? null;
console.error("SAW " + JSON.stringify(seen)); // stderr, as the error after it: one stream keeps their order
console.error("ProbeError: failing on purpose");
process.exit(3);
`;

const PROBE_CONFIG = (image: string) =>
  toYaml({
    container_type: "DockerImage",
    image,
    tasks: {
      infer: {
        run_args: {
          command:
            "node /app/probe.mjs /mlcommons/volumes/data /mlcommons/volumes/parameters/parameters_file.yaml /mlcommons/volumes/additional_files /mlcommons/volumes/predictions",
          environment: { PROBE_MODE: "strict" },
        },
        input_volumes: {
          data_path: { mount_path: "/mlcommons/volumes/data", type: "directory" },
          parameters_file: { mount_path: "/mlcommons/volumes/parameters/parameters_file.yaml", type: "file" },
          additional_files: { mount_path: "/mlcommons/volumes/additional_files", type: "directory" },
        },
        output_volumes: { output_path: { mount_path: "/mlcommons/volumes/predictions", type: "directory" } },
      },
    },
  });

describe("fedeval test", { skip }, () => {
  let images: TestImages;
  let probe: string;
  let root: string;
  const env = { PATH: process.env.PATH };
  const cwd = tmpdir();
  before(async () => {
    images = await buildDemoImages(docker, "fedeval-test-container-test");
    probe = await buildNodeImage(docker, {
      tag: "fedeval-test-container-test/probe:dev",
      files: { "/app/probe.mjs": PROBE },
      entrypoint: [],
    });
    const raw = await rawExport("south-coast");
    const demo = join(await mkdtemp(join(tmpdir(), "fedeval-demo-")), "demo");
    await cp(raw.data, join(demo, "data"), { recursive: true });
    await cp(raw.labels, join(demo, "labels"), { recursive: true });
    const sha256 = (await hashDatasetTree(demo)).hash.split(":").pop() as string;
    root = await demoRepository(images, (files) => {
      const file = `${B}/benchmark.yaml`;
      files.set(
        file,
        toYaml({ ...parse(files.get(file) as string), demo_dataset: { path: "demo/dataset", sha256 } }),
      );
    });
    await cp(demo, join(root, B, "demo", "dataset"), { recursive: true });
  });
  after(() => removeImages(docker, [...demoImageRefs(images), probe]));
  /** testContainers' request for the test repository, in Docker. */
  const request = () => ({
    root,
    benchmark: BENCHMARK,
    runner: "docker" as const,
    cwd,
    env,
    docker,
    logger: silentLogger,
  });

  it("runs the reference model on the demo dataset and says what each task received", async () => {
    const report = await testContainers(request());
    assert.ok(report.result.ok);
    assert.equal(report.result.cases, 600);
    assert.equal(report.data, "demo");
    assert.deepEqual(
      report.tasks.map((t) => [t.task, t.outcome.status]),
      [
        ["prepare", "ok"],
        ["sanity_check", "ok"],
        ["statistics", "ok"],
        ["infer", "ok"],
        ["evaluate", "ok"],
      ],
    );
    const model = report.result.models[0];
    assert.equal(model?.status, "ok", model?.message);
    assert.ok(Object.values(model?.metrics ?? {}).every((v) => typeof v === "number"));
    const evaluate = report.tasks.find((t) => t.task === "evaluate");
    assert.equal(evaluate?.image.ref, images.evaluator);
    assert.equal(evaluate?.parameters, EVALUATOR_PARAMETERS);
    assert.deepEqual(
      evaluate?.mounts.map((m) => [m.name, m.containerPath, m.type, m.readOnly]),
      [
        ["predictions", "/mlcommons/volumes/predictions", "directory", true],
        ["labels", "/mlcommons/volumes/labels", "directory", true],
        ["parameters_file", "/mlcommons/volumes/parameters/parameters_file.yaml", "file", true],
        ["output_path", "/mlcommons/volumes/results/results.yaml", "file", false],
      ],
    );
    const prepare = report.tasks[0];
    assert.equal(
      prepare?.mounts.find((m) => m.name === "data_path")?.hostPath,
      join(root, B, "demo", "dataset", "data"),
    );
  });

  it("runs a definition outside the repository on local data, and prints metrics and mounts", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fedeval-vendor-"));
    const config = await readFile(join(root, B, "containers", "shortcut-cnn.yaml"), "utf8");
    await writeFile(join(dir, "container_config.yaml"), config);
    const local = await rawExport("east-valley");
    const io = bufferIO();
    const code = await testCommand(
      {
        root,
        benchmark: BENCHMARK,
        local: {
          model: { container: join(dir, "container_config.yaml"), image: images.models["shortcut-cnn"] },
        },
        data: local.data,
        labels: local.labels,
        runner: "docker",
        json: false,
        cwd,
        env,
        docker,
      },
      io,
    );
    const out = io.out.join("");
    assert.equal(code, 0, out);
    assert.match(
      out,
      new RegExp(`^test of model ${LOCAL_MODEL} on benchmark ${BENCHMARK}, with local data ${local.data}`),
    );
    assert.match(out, /^task infer: ok \(task infer finished in/m);
    assert.match(
      out,
      /^ {15}output_path +\/mlcommons\/volumes\/predictions <- \/\S+\/predictions \(directory, writable\)$/m,
    );
    assert.match(
      out,
      /^ {2}mounts {7}data_path +\/mlcommons\/volumes\/raw_data <- \S+\/data \(directory, read-only\)$/m,
    );
    assert.match(out, /^ {2}auc +0\.\d+$/m);
    assert.match(out, /\npassed\n$/);
    // the governance tree is untouched: the definition was tested in a copy
    await assert.rejects(readFile(join(root, B, "models", `${LOCAL_MODEL}.yaml`)));
  });

  it("shows the failed task's last lines, and the mounts and environment the container saw", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fedeval-vendor-"));
    await writeFile(join(dir, "container_config.yaml"), PROBE_CONFIG(probe));
    await writeFile(join(dir, "parameters.yaml"), "threshold: 0.25\n");
    await mkdir(join(dir, "weights"));
    await writeFile(join(dir, "weights", "weights.txt"), "w = 0.7\n");
    const io = bufferIO();
    const code = await testCommand(
      {
        root,
        benchmark: BENCHMARK,
        local: {
          model: {
            container: join(dir, "container_config.yaml"),
            image: probe,
            parameters: join(dir, "parameters.yaml"),
            additionalFiles: join(dir, "weights"),
          },
        },
        runner: "docker",
        json: true,
        cwd,
        env,
        docker,
      },
      io,
    );
    assert.equal(code, 1);
    const report = JSON.parse(io.out.join(""));
    assert.equal(report.passed, false);
    const infer = report.tasks.find((t: { task: string }) => t.task === "infer");
    assert.equal(infer.outcome.status, "failed");
    assert.equal(infer.outcome.exitCode, 3);
    assert.equal(infer.outcome.logTail.at(-1), "ProbeError: failing on purpose");
    const saw = JSON.parse(
      (infer.outcome.logTail as string[]).find((l) => l.startsWith("SAW "))?.slice(4) ?? "{}",
    );
    for (const m of infer.mounts) {
      assert.deepEqual(saw[m.containerPath], { type: m.type, writable: !m.readOnly }, m.name);
    }
    assert.equal(saw.parameters, "threshold: 0.25\n");
    assert.equal(saw.weights, "w = 0.7\n", "the additional files, read-only at additional_files");
    assert.equal(infer.parameters, "threshold: 0.25\n");
    assert.deepEqual(infer.environment, { PROBE_MODE: "strict" });
    assert.equal(saw.mode, "strict", "the container got the environment the report shows");
    assert.equal(report.result.models[0].message, "model failed: task infer failed with exit code 3");

    const text = bufferIO();
    await testCommand(
      {
        root,
        benchmark: BENCHMARK,
        local: {
          model: {
            container: join(dir, "container_config.yaml"),
            image: probe,
            additionalFiles: join(dir, "weights"),
          },
        },
        runner: "docker",
        json: false,
        cwd,
        env,
        docker,
      },
      text,
    );
    assert.match(
      text.out.join(""),
      /\n {2}last lines of its output\n(?: {4}\| .*\n)* {4}\| ProbeError: failing on purpose\n/,
    );
    assert.match(text.out.join(""), /\n {2}environment {2}PROBE_MODE=strict\n/);
    assert.match(text.out.join(""), /\nFAILED\n$/);
  });

  it("uses a preparation and an evaluator outside the repository in place of the benchmark's", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fedeval-committee-"));
    for (const name of ["prep", "evaluator"])
      await cp(join(root, B, "containers", `${name}.yaml`), join(dir, `${name}.yaml`));
    const strict = { ...JSON.parse(EVALUATOR_PARAMETERS), threshold: 0.9 };
    await writeFile(join(dir, "evaluator-parameters.yaml"), JSON.stringify(strict));
    const base = request();
    const usual = await testContainers(base);
    const local = await testContainers({
      ...base,
      local: {
        preparation: { container: join(dir, "prep.yaml"), image: images.preparation },
        evaluator: {
          container: join(dir, "evaluator.yaml"),
          image: images.evaluator,
          parameters: join(dir, "evaluator-parameters.yaml"),
        },
      },
    });
    assert.ok(usual.result.ok && local.result.ok);
    const evaluate = local.tasks.find((t) => t.task === "evaluate");
    assert.equal(evaluate?.parameters, JSON.stringify(strict));
    const [a, b] = [usual.result.models[0]?.metrics, local.result.models[0]?.metrics];
    assert.equal(a?.auc, b?.auc, "the threshold does not change the AUC");
    assert.ok(
      (b?.sensitivity as number) < (a?.sensitivity as number),
      "a higher threshold, a lower sensitivity",
    );
  });

  it("refuses flags that do not go together", async () => {
    const base = request();
    await assert.rejects(
      testContainers({ ...base, model: "shortcut-cnn", local: { model: { container: "x.yaml" } } }),
      UsageError,
    );
    await assert.rejects(testContainers({ ...base, data: "raw" }), /--data and --labels go together/);
    const tagged = join(await mkdtemp(join(tmpdir(), "fedeval-vendor-")), "container_config.yaml");
    await writeFile(tagged, PROBE_CONFIG("my-model:dev"));
    await assert.rejects(
      testContainers({ ...base, local: { model: { container: tagged } } }),
      (e: Error) =>
        e.message ===
        `${tagged}: image my-model:dev is not pinned; pass --image sha256:<image id> (\`docker inspect --format '{{.Id}}' IMAGE\`) or NAME@sha256:<digest>`,
    );
    await assert.rejects(
      testContainers({ ...base, model: "no-such-model" }),
      /models\/no-such-model\.yaml is missing or invalid/,
    );
  });
});
