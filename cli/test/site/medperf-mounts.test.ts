/**
 * MedPerf's containers as MedPerf runs them, against the real Docker Engine: one probe container
 * (./medperf-probe.mjs) declared with the chest X-ray tutorial's mount paths reports, per task,
 * what it saw — each mount (read-only or not, what is in it), its parameters file and additional
 * files, environment, command or entrypoint, user, /dev/shm — and what it may write (working
 * directory, a program run from /tmp), under the default and under strict isolation.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { stringify } from "yaml";
import { silentLogger } from "../../src/base/logger.ts";
import { buildNodeImage, NODE_IN_IMAGE } from "../../src/containers/node-image.ts";
import { DEFAULT_LIMITS } from "../../src/containers/runner.ts";
import { loadGovernance } from "../../src/governance/loader.ts";
import { inferAndEvaluate } from "../../src/site/container-task.ts";
import { runPreparation } from "../../src/site/prepare.ts";
import { createRunner, siteLimits } from "../../src/site/runners.ts";
import { containersLabelled, dockerForTests, testRunLabel } from "../helpers/docker.ts";
import { BENCHMARK, TEST_MODELS } from "../helpers/fixtures.ts";
import { demoRepository } from "./site-fixture.ts";

const { docker, skip } = await dockerForTests();
const run = testRunLabel();
const b = `benchmarks/${BENCHMARK}`;
const MiB = 2 ** 20;
const V = "/mlcommons/volumes";

type Volumes = Record<string, string>;
/** A volume: a directory, or a file when its mount path has an extension. */
const volumes = (v: Volumes) =>
  Object.fromEntries(
    Object.entries(v).map(([name, path]) => [
      name,
      { mount_path: path, type: /\.\w+$/.test(path) ? "file" : "directory" },
    ]),
  );
const options = (v: Volumes) => Object.entries(v).map(([name, path]) => `--${name}=${path}`);

/** A MedPerf container_config.yaml whose tasks run the probe with every volume as an option. */
function probeConfig(
  image: string,
  tasks: Record<string, { inputs: Volumes; outputs?: Volumes; runArgs?: Record<string, unknown> }>,
): string {
  const config = Object.fromEntries(
    Object.entries(tasks).map(([task, t]) => {
      const { entrypoint, ...runArgs } = t.runArgs ?? {};
      const words = [task, ...options({ ...t.inputs, ...t.outputs })];
      // with an entrypoint of its own the definition names the script; otherwise the image's ENTRYPOINT runs it
      const command = entrypoint ? ["/app/probe.mjs", ...words] : words;
      return [
        task,
        {
          run_args: { ...runArgs, ...(entrypoint ? { entrypoint } : {}), command: command.join(" ") },
          input_volumes: volumes(t.inputs),
          ...(t.outputs ? { output_volumes: volumes(t.outputs) } : {}),
        },
      ];
    }),
  );
  return stringify({ container_type: "DockerImage", image, tasks: config });
}

const SHARED = {
  parameters_file: `${V}/parameters/parameters_file.yaml`,
  additional_files: `${V}/additional_files`,
};
const PREPARED = { data_path: `${V}/data`, labels_path: `${V}/labels`, metadata_path: `${V}/metadata` };

/** The chest X-ray tutorial's mounts, plus what rano's containers declare (metadata, report, additional files). */
function definitions(image: string): Record<string, string> {
  return {
    "containers/prep.yaml": probeConfig(image, {
      prepare: {
        inputs: { data_path: `${V}/raw_data`, labels_path: `${V}/raw_labels`, ...SHARED },
        outputs: {
          output_path: `${V}/data`,
          output_labels_path: `${V}/labels`,
          metadata_path: `${V}/metadata`,
          report_file: `${V}/report/report.yaml`,
        },
        runArgs: { environment: { GREETING: "from prep", MODE: 3 } },
      },
      sanity_check: { inputs: { ...PREPARED, ...SHARED } },
      statistics: {
        inputs: { ...PREPARED, ...SHARED },
        outputs: { output_path: `${V}/statistics/statistics.yaml` },
        runArgs: { shm_size: "64m" },
      },
    }),
    "containers/model.yaml": probeConfig(image, {
      infer: {
        inputs: { data_path: `${V}/data`, ...SHARED },
        outputs: { output_path: `${V}/predictions` },
        runArgs: { entrypoint: NODE_IN_IMAGE, environment: { GREETING: "from the model" } },
      },
    }),
    "containers/evaluator.yaml": probeConfig(image, {
      evaluate: {
        inputs: { predictions: `${V}/predictions`, labels: `${V}/labels`, ...SHARED },
        outputs: { output_path: `${V}/results/results.yaml`, local_outputs_path: `${V}/local_outputs` },
      },
    }),
  };
}

const PARAMETERS = {
  prep: "image_column_id: Image ID\n",
  model: "batch_size: 4\n",
  evaluator: "threshold: 0.5\n",
};

interface Seen {
  type?: string;
  exists?: false;
  writable: true | string;
  entries?: string[];
  content?: string;
}
interface ProbeReport {
  task: string;
  via: "image" | "definition";
  uid: number;
  gid: number;
  cwd: string;
  env: Record<string, string | undefined>;
  shmBytes: number;
  mounts: Record<string, Seen>;
  writeWorkdir: string;
  execTmp: string;
}

/** Every PROBE line of a log, by task. */
async function probeReports(logFile: string): Promise<Record<string, ProbeReport>> {
  const lines = (await readFile(logFile, "utf8")).split("\n").filter((l) => l.startsWith("PROBE "));
  return Object.fromEntries(
    lines.map((l) => {
      const r = JSON.parse(l.slice(6)) as ProbeReport;
      return [r.task, r];
    }),
  );
}

describe("MedPerf's mounts and run arguments, as the container sees them", { skip }, () => {
  let image: string;
  let work: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), "fedeval-medperf-"));
    image = await buildNodeImage(docker, {
      tag: `fedeval-test/probe:${run.labels["fedeval.run"]}`,
      files: { "/app/probe.mjs": { hostPath: join(import.meta.dirname, "medperf-probe.mjs") } },
      entrypoint: [NODE_IN_IMAGE, "/app/probe.mjs", "image-entrypoint"],
      env: { HOME: "/home/probe" },
      workdir: "/work",
    });
  });
  after(async () => {
    assert.deepEqual(await containersLabelled(docker, run.filter), [], "no container is left behind");
    if (image) await docker.getImage(image).remove({ force: true });
    await rm(work, { recursive: true, force: true });
  });

  /** A governance repository whose containers are the probe; `edit` may change it first. */
  async function world(edit?: (files: Map<string, string>) => void) {
    const root = await demoRepository(
      {
        preparation: image,
        evaluator: image,
        models: Object.fromEntries(TEST_MODELS.map((m) => [m.id, image])),
      },
      (files) => {
        for (const [path, text] of Object.entries(definitions(image))) files.set(`${b}/${path}`, text);
        for (const m of TEST_MODELS)
          files.set(`${b}/containers/${m.id}.yaml`, files.get(`${b}/containers/model.yaml`) as string);
        files.delete(`${b}/containers/model.yaml`);
        files.set(`${b}/containers/prep/parameters.yaml`, PARAMETERS.prep);
        files.set(`${b}/containers/reference-logistic/parameters.yaml`, PARAMETERS.model);
        files.set(`${b}/containers/evaluator/parameters.yaml`, PARAMETERS.evaluator);
        edit?.(files);
      },
    );
    const { index } = await loadGovernance(root);
    const folder = index.benchmarks.get(BENCHMARK);
    const benchmark = folder?.benchmark?.data;
    assert.ok(folder && benchmark, "the benchmark loads");
    assert.equal(folder.containers.size, 2 + TEST_MODELS.length, "every definition is valid");
    const dir = await mkdtemp(join(work, "run-"));
    const raw = { data: join(dir, "raw", "data"), labels: join(dir, "raw", "labels") };
    await mkdir(raw.data, { recursive: true });
    await mkdir(raw.labels, { recursive: true });
    await writeFile(join(raw.data, "case-1.png"), "pixels");
    await writeFile(join(raw.data, "case-2.png"), "pixels");
    await writeFile(join(raw.labels, "labels.csv"), "Image ID,Label\n");
    const weights = join(dir, "weights");
    await mkdir(weights);
    await writeFile(join(weights, "cnn_weights.pth"), "trained");
    const setting = {
      runner: await createRunner("docker", { home: dir, cwd: dir, env: {}, docker }),
      limits: siteLimits({}, { memoryBytes: 256 * MiB, timeoutMs: 60_000 }),
      root,
      folder,
      logFile: join(dir, "tasks.log"),
      containerLabels: run.labels,
    };
    const out = {
      data: join(dir, "prepared", "data"),
      labels: join(dir, "prepared", "labels"),
      metadata: join(dir, "metadata"),
      statistics: join(dir, "statistics.yaml"),
    };
    await mkdir(out.data, { recursive: true });
    await mkdir(out.labels, { recursive: true });
    const prepare = () =>
      runPreparation({
        ...setting,
        preparation: { ref: benchmark.containers.preparation, image: { ref: image, id: image } },
        raw,
        out,
        runDir: join(dir, "prep-run"),
        logger: silentLogger,
      });
    const evaluate = () =>
      inferAndEvaluate({
        ...setting,
        model: {
          ref: benchmark.containers.reference_model,
          image: { ref: image, id: image },
          additionalFiles: weights,
        },
        evaluator: { ref: benchmark.containers.evaluator, image: { ref: image, id: image } },
        data: out.data,
        labels: out.labels,
        scratch: join(dir, "scratch"),
        localOutputs: join(dir, "local-outputs"),
        now: () => new Date(),
      });
    return { dir, setting, out, prepare, evaluate };
  }

  test("every task gets each mount MedPerf gives it, its run_args, the invoking user, a writable file system", async () => {
    const w = await world();
    const preparation = await w.prepare();
    assert.equal(preparation.ok, true, JSON.stringify(preparation));
    const evaluation = await w.evaluate();
    assert.equal(evaluation.infer.status, "ok", evaluation.infer.message);
    assert.equal(evaluation.evaluate?.status, "ok", evaluation.evaluate?.message);
    const seen = await probeReports(w.setting.logFile);
    assert.deepEqual(Object.keys(seen).sort(), [
      "evaluate",
      "infer",
      "prepare",
      "sanity_check",
      "statistics",
    ]);

    const ro = (more: Partial<Seen> = {}): Seen => ({ type: "directory", writable: "EROFS", ...more });
    const rw = (more: Partial<Seen> = {}): Seen => ({ type: "directory", writable: true, ...more });
    const parameters = (content: string): Seen => ({ type: "file", writable: "EROFS", content });
    const noAdditionalFiles = ro({ entries: [] });
    assert.deepEqual(seen.prepare?.mounts, {
      data_path: ro({ entries: ["case-1.png", "case-2.png"] }),
      labels_path: ro({ entries: ["labels.csv"] }),
      parameters_file: parameters(PARAMETERS.prep),
      additional_files: noAdditionalFiles,
      output_path: rw({ entries: [] }),
      output_labels_path: rw({ entries: [] }),
      metadata_path: rw({ entries: [] }),
      report_file: { type: "file", writable: true, content: "" },
    });
    const prepared = {
      data_path: ro({ entries: ["case-1.png", "case-2.png"] }),
      labels_path: ro({ entries: ["labels.csv"] }),
      metadata_path: ro({ entries: ["metadata.json"] }),
      parameters_file: parameters(PARAMETERS.prep),
      additional_files: noAdditionalFiles,
    };
    assert.deepEqual(seen.sanity_check?.mounts, prepared);
    assert.deepEqual(seen.statistics?.mounts, {
      ...prepared,
      output_path: { type: "file", writable: true, content: "" },
    });
    assert.deepEqual(seen.infer?.mounts, {
      data_path: ro({ entries: ["case-1.png", "case-2.png"] }),
      parameters_file: parameters(PARAMETERS.model),
      additional_files: ro({ entries: ["cnn_weights.pth"] }),
      output_path: rw({ entries: [] }),
    });
    assert.deepEqual(seen.evaluate?.mounts, {
      predictions: ro({ entries: ["predictions.json"] }),
      labels: ro({ entries: ["labels.csv"] }),
      parameters_file: parameters(PARAMETERS.evaluator),
      additional_files: noAdditionalFiles,
      output_path: { type: "file", writable: true, content: "" },
      local_outputs_path: rw({ entries: [] }),
    });
    // what the evaluator keeps for the site stays in the folder the site gave it
    assert.deepEqual(await readdir(join(w.dir, "local-outputs")), ["per-case.csv"]);

    for (const report of Object.values(seen)) {
      assert.deepEqual([report.uid, report.gid], [process.getuid?.(), process.getgid?.()], report.task);
      assert.equal(report.env.HOME, "/home/probe", `${report.task}: HOME as the image sets it`);
      assert.equal(report.cwd, "/work");
      assert.equal(report.writeWorkdir, "ok", `${report.task} writes in its working directory`);
      assert.equal(report.execTmp, "ok", `${report.task} runs a program from /tmp`);
    }
    assert.deepEqual(seen.prepare?.env, { HOME: "/home/probe", GREETING: "from prep", MODE: "3" });
    assert.equal(seen.infer?.env.GREETING, "from the model");
    assert.equal(seen.sanity_check?.env.GREETING, undefined, "run_args of one task only");
    assert.equal(seen.infer?.via, "definition", "run_args.entrypoint replaces the image's ENTRYPOINT");
    assert.equal(seen.prepare?.via, "image", "run_args.command follows the image's ENTRYPOINT");
    assert.equal(seen.statistics?.shmBytes, 64 * MiB, "run_args.shm_size");
    assert.equal(seen.prepare?.shmBytes, DEFAULT_LIMITS.shmBytes);
  });

  test("under strict isolation the root file system is read-only, /tmp noexec and HOME=/tmp", async () => {
    const w = await world((files) => {
      const path = `${b}/benchmark.yaml`;
      const text = files.get(path) as string;
      files.set(
        path,
        text.replace("isolation_required: false", "isolation_required: false\n  strict_isolation: true"),
      );
    });
    assert.equal((await w.prepare()).ok, true);
    const evaluation = await w.evaluate();
    assert.equal(evaluation.evaluate?.status, "ok", evaluation.evaluate?.message);
    for (const report of Object.values(await probeReports(w.setting.logFile))) {
      assert.equal(report.writeWorkdir, "EROFS", report.task);
      assert.equal(report.execTmp, "EACCES", report.task);
      assert.equal(report.env.HOME, "/tmp", report.task);
      assert.equal(
        report.mounts.output_path?.writable ?? true,
        true,
        `${report.task}: outputs stay writable`,
      );
    }
  });

  test("a model without additional files finds an empty folder and fails in one line, as under MedPerf", async () => {
    const w = await world();
    assert.equal((await w.prepare()).ok, true);
    const folder = join(w.dir, "empty");
    await mkdir(folder);
    const evaluation = await inferAndEvaluate({
      ...w.setting,
      model: {
        ref: { image, config: "containers/reference-logistic.yaml" },
        image: { ref: image, id: image },
        additionalFiles: folder,
      },
      evaluator: { ref: { image, config: "containers/evaluator.yaml" }, image: { ref: image, id: image } },
      data: w.out.data,
      labels: w.out.labels,
      scratch: join(w.dir, "scratch"),
      localOutputs: join(w.dir, "local-outputs"),
      now: () => new Date(),
    });
    assert.equal(evaluation.infer.status, "failed");
    assert.match(
      evaluation.infer.message,
      /^task infer failed with exit code 1: Error: ENOENT: no such file or directory, open '\/mlcommons\/volumes\/additional_files\/cnn_weights\.pth'$/,
    );
    assert.equal(evaluation.evaluate, undefined);
  });

  test("a model that asks for GPUs gets them only where the site gives them", async () => {
    const w = await world((files) => {
      const path = `${b}/containers/reference-logistic.yaml`;
      files.set(path, (files.get(path) as string).replace("run_args:", "run_args:\n      gpus: all"));
    });
    assert.equal((await w.prepare()).ok, true);
    // the site gives none: refused in one line, before any container starts
    await assert.rejects(w.evaluate(), {
      name: "UserError",
      message:
        "task infer of benchmarks/pleural-effusion-demo/containers/reference-logistic.yaml asks for GPUs (run_args.gpus: all) and this site gives containers none: run with --gpus all where the machine has them",
    });
    // the site gives GPUs: the container asks Docker for them (DeviceRequests), which says it has none here
    const gpus = await world((files) => {
      const path = `${b}/containers/reference-logistic.yaml`;
      files.set(path, (files.get(path) as string).replace("run_args:", "run_args:\n      gpus: all"));
    });
    assert.equal((await gpus.prepare()).ok, true);
    gpus.setting.limits = siteLimits({ gpus: "all" }, { memoryBytes: 256 * MiB });
    await assert.rejects(gpus.evaluate(), {
      name: "ExternalError",
      message:
        /^Docker cannot give containers GPUs here: could not select device driver "" with capabilities: \[\[gpu\]\]$/,
    });
  });

  test("an MLCube model gets its workspace parameters file and additional files as --parameters", async () => {
    const w = await world((files) => {
      files.set(
        `${b}/containers/reference-logistic.yaml`,
        stringify({
          docker: { image },
          tasks: {
            infer: {
              parameters: {
                inputs: {
                  data_path: { type: "directory", default: "data" },
                  parameters_file: "parameters.yaml",
                  additional_files: { type: "directory", default: "additional_files" },
                },
                outputs: { output_path: { type: "directory", default: "predictions" } },
              },
            },
          },
        }),
      );
    });
    assert.equal((await w.prepare()).ok, true);
    const evaluation = await w.evaluate();
    assert.equal(evaluation.infer.status, "ok", evaluation.infer.message);
    const infer = (await probeReports(w.setting.logFile)).infer;
    assert.equal(infer?.via, "image");
    assert.deepEqual(infer?.mounts, {
      data_path: { type: "directory", writable: "EROFS", entries: ["case-1.png", "case-2.png"] },
      parameters_file: { type: "file", writable: "EROFS", content: PARAMETERS.model },
      additional_files: { type: "directory", writable: "EROFS", entries: ["cnn_weights.pth"] },
      output_path: { type: "directory", writable: true, entries: [] },
    });
  });
});
