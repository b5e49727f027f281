/**
 * `fedeval run` against the real Docker Engine: the demo benchmark's containers on one prepared
 * dataset, plus models and evaluators that fail, hang, or try to smuggle data out.
 */
import assert from "node:assert/strict";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parse } from "yaml";
import { buildDemoImages } from "../../src/app/demo/demo-images.ts";
import { UserError } from "../../src/base/errors.ts";
import { silentLogger } from "../../src/base/logger.ts";
import { bufferIO } from "../../src/commands/io.ts";
import { outboxListCommand } from "../../src/commands/outbox-list.ts";
import { outboxShowCommand } from "../../src/commands/outbox-show.ts";
import { planCommand } from "../../src/commands/plan.ts";
import { runCommand } from "../../src/commands/run.ts";
import { buildNodeImage } from "../../src/containers/node-image.ts";
import { governanceFileText } from "../../src/governance/governance-file.ts";
import { loadGovernance } from "../../src/governance/loader.ts";
import type { Benchmark, MetricSpec, Result } from "../../src/governance/types.ts";
import { Outbox, type OutboxEntry } from "../../src/results/outbox.ts";
import { signResult } from "../../src/results/signature.ts";
import { planSite } from "../../src/site/plan.ts";
import { runSite } from "../../src/site/run.ts";
import { createRunner, siteLimits } from "../../src/site/runners.ts";
import { validateRepository } from "../../src/validate/validate-repository.ts";
import { containersLabelled, dockerForTests, serveTinyImage } from "../helpers/docker.ts";
import { BENCHMARK, containerConfig, siteKey, type TestImages } from "../helpers/fixtures.ts";
import { gitIn } from "../helpers/git.ts";
import { hex } from "../helpers/governance-tree.ts";
import {
  addModel,
  DATASET,
  demoImageRefs,
  onlyModels,
  type PreparedDataset,
  prepareDemoDataset,
  removeImages,
  SITE,
  type SiteWorld,
  SLOW_MODEL,
  siteWorld,
} from "./site-fixture.ts";

const { docker, skip } = await dockerForTests();
const b = `benchmarks/${BENCHMARK}`;

/** Images of containers that misbehave, each a one-file program in place of a demo container. */
const PROGRAMS = {
  failingModel: `process.stderr.write("Error: weights corrupt, last case patient-0042\\n"); process.exit(1);`,
  slowModel: SLOW_MODEL,
  failingEvaluator: `process.stderr.write("Error: cannot read predictions\\n"); process.exit(2);`,
  // old-Mac line ends, a comment first (the yaml package alone reads the whole file as that comment)
  crOnlyEvaluator: `import { writeFileSync } from "node:fs";
const out = process.argv.find((a) => a.startsWith("--output_path=")).slice(14);
writeFileSync(out, "# written on an old Mac\\rn: 900\\rmetrics:\\r  auc: {value: 0.8123}\\r");`,
  // 40,000 keys: a duplicate-key check that compares each key with every other takes minutes
  manyKeysEvaluator: `import { writeFileSync } from "node:fs";
const out = process.argv.find((a) => a.startsWith("--output_path=")).slice(14);
const keys = Array.from({ length: 40000 }, (_, i) => "k" + i + ": " + i).join("\\n");
writeFileSync(out, "n: 900\\nmetrics:\\n  auc: {value: 0.8123}\\n" + keys + "\\n");`,
  // MedPerf's chest X-ray evaluator writes its metrics flat, under its own keys
  medperfEvaluator: `import { writeFileSync } from "node:fs";
const out = process.argv.find((a) => a.startsWith("--output_path=")).slice(14);
writeFileSync(out, "AUC: 0.75\\nAccuracy: 0.8\\n");`,
  smugglingEvaluator: `import { writeFileSync } from "node:fs";
const out = process.argv.find((a) => a.startsWith("--output_path=")).slice(14);
writeFileSync(out, [
  "n: 900",
  "metrics:",
  "  auc: {value: 0.81234, note: 'patient-0042 positive'}",
  "  sensitivity: 'PATIENT-0042 was positive'",
  "  specificity: {value: 1.7}",
  "  ece: {value: .nan}",
  "  leaked_rows: {value: 0.5}",
  "patient_ids: [p-0042, p-0043]",
  "subgroups:",
  "  - {stratum: sex, cell: F, n: 446, metrics: {auc: {value: 0.79876}}}",
  "  - {stratum: 'patient-0042', cell: x, n: 1}",
].join("\\n") + "\\n");`,
};

describe("fedeval run", { skip }, () => {
  let images: TestImages;
  const bad: Record<keyof typeof PROGRAMS, string> = {} as Record<keyof typeof PROGRAMS, string>;
  let prepared: PreparedDataset;
  let registry: Awaited<ReturnType<typeof serveTinyImage>>;

  before(async () => {
    images = await buildDemoImages(docker, "fedeval-test-run");
    for (const [name, program] of Object.entries(PROGRAMS)) {
      const file = name.endsWith("Model") ? "/app/model.mjs" : "/app/evaluate.mjs";
      bad[name as keyof typeof PROGRAMS] = await buildNodeImage(docker, {
        tag: `fedeval-test-run/${name.toLowerCase()}:dev`,
        files: { [file]: program },
        entrypoint: [],
      });
    }
    registry = await serveTinyImage("fedeval-test/tiny");
    // one dataset, prepared once; each test copies it into a fresh workspace
    prepared = await prepareDemoDataset(images, docker);
  });
  after(async () => {
    registry?.close();
    if (images) await removeImages(docker, [...demoImageRefs(images), ...Object.values(bad)]);
  });

  const world = (edit?: (files: Map<string, string>) => void) => siteWorld(images, prepared, edit);
  const withEvaluator = (image: string) => (files: Map<string, string>) => {
    onlyModels(["reference-logistic"])(files);
    const benchmark = files.get(`${b}/benchmark.yaml`) as string;
    files.set(`${b}/benchmark.yaml`, benchmark.replace(images.evaluator, image));
    files.set(`${b}/containers/evaluator.yaml`, containerConfig(image, "evaluator"));
  };

  const allModelsWithEvaluator = (image: string) => (files: Map<string, string>) => {
    const benchmark = files.get(`${b}/benchmark.yaml`) as string;
    files.set(`${b}/benchmark.yaml`, benchmark.replace(images.evaluator, image));
    files.set(`${b}/containers/evaluator.yaml`, containerConfig(image, "evaluator"));
  };
  const editBenchmark = (edit: (benchmark: Benchmark) => void) => (files: Map<string, string>) => {
    const path = `${b}/benchmark.yaml`;
    const benchmark = parse(files.get(path) as string) as Benchmark;
    edit(benchmark);
    files.set(path, governanceFileText("benchmark", benchmark));
  };
  /** auc pooled by mean: a bare value of it (as some evaluators here write) can then be pooled. */
  const aucByMean = editBenchmark((benchmark) => {
    const auc = benchmark.metrics.find((m) => m.id === "auc") as MetricSpec;
    auc.pooling = "mean";
    delete auc.histogram_bins;
  });
  /** Replaces the benchmark's metrics (the drift alert goes with them). */
  const withMetrics = (metrics: MetricSpec[]) =>
    editBenchmark((benchmark) => {
      benchmark.metrics = metrics;
      delete benchmark.drift;
    });
  const MEDPERF_METRICS = (auc: Partial<MetricSpec>): MetricSpec[] => [
    { id: "auc", key: "AUC", group: "accuracy", direction: "higher", range: [0, 1], pooling: "mean", ...auc },
    {
      id: "accuracy",
      key: "Accuracy",
      group: "accuracy",
      direction: "higher",
      range: [0, 1],
      pooling: "mean",
    },
  ];

  async function run(w: SiteWorld, extra: Partial<Parameters<typeof runCommand>[0]> = {}) {
    const io = bufferIO();
    const code = await runCommand(
      {
        site: SITE,
        root: w.root,
        runner: "docker",
        cwd: w.root,
        env: w.env,
        docker,
        timeout: "60s",
        memory: "512m",
        ...extra,
      },
      io,
    );
    return { code, out: io.out.join(""), err: io.err.join("") };
  }

  test("runs every planned triple into the outbox, prints no value, and resumes with nothing to do", async () => {
    const w = await world();
    const first = await run(w);
    assert.equal(first.code, 0, first.out + first.err);
    const lines = first.out.split("\n").filter((l) => l.startsWith("["));
    assert.deepEqual(
      lines.map((l) => l.replace(/ as \S+$/, "")),
      ["effusion-net-v2", "shortcut-cnn", "reference-logistic"].map(
        (m, i) => `[${i + 1}/3] ok      ${BENCHMARK} / ${m} on ${DATASET}: result pending`,
      ),
    );
    assert.match(first.out, /3 triples: 3 ok, 0 partial, 0 failed/);

    const entries = await new Outbox(w.site.outbox).list();
    assert.equal(entries.length, 3);
    const printed = first.out + first.err;
    for (const entry of entries) {
      assert.equal(entry.state, "pending");
      assert.ok(lines.some((l) => l.endsWith(entry.id)));
      for (const value of valuesOf(entry.result)) {
        const shown = Number.isInteger(value)
          ? new RegExp(`(?<![\\w.-])${value}(?![\\w.])`)
          : new RegExp(String(value).replace(".", "\\."));
        assert.doesNotMatch(printed, shown, `the run printed the value ${value}`);
      }
    }
    const result = entries.find((e) => e.result.model === "effusion-net-v2")?.result as Result;
    assert.equal(result.n, 900);
    assert.equal(result.provenance.isolation, "docker-none-ro");
    assert.equal(result.provenance.dataset_hash, prepared.association.hash);
    assert.deepEqual(result.provenance.images, {
      model: images.models["effusion-net-v2"],
      evaluator: images.evaluator,
      preparation: images.preparation,
    });
    assert.match(result.provenance.tool, /^fedeval \d+\.\d+\.\d+/);
    assert.ok((result.provenance.latency_ms_per_case ?? -1) >= 0);
    assert.ok(result.provenance.hardware?.cpu && result.provenance.hardware.memory_gb);
    assert.equal(result.provenance.governance_commit, gitIn(w.root, "rev-parse", "HEAD"));
    assert.ok(result.subgroups?.some((c) => c.stratum === "scanner_vendor"));
    assert.deepEqual(await containersLabelled(docker, `fedeval.workspace=${w.site.root}`), []);

    // signed as the site would after approval, the result is valid in the governance repository
    const signed = signResult(
      {
        ...result,
        approval: {
          by: "north-it",
          at: new Date(Date.parse(result.provenance.finished_at) + 60_000)
            .toISOString()
            .replace(/\.\d+Z$/, "Z"),
          policy: "manual",
        },
      },
      "demo-1",
      siteKey(SITE).privateKey,
    );
    await mkdir(join(w.root, b, "results", DATASET), { recursive: true });
    await writeFile(
      join(w.root, b, "results", DATASET, "effusion-net-v2.yaml"),
      governanceFileText("result", signed),
    );
    const report = await validateRepository({ root: w.root });
    assert.deepEqual(
      report.diagnostics.filter((d) => d.severity === "error"),
      [],
    );

    // a second run resumes: everything waits in the outbox
    await rm(join(w.root, b, "results"), { recursive: true });
    const second = await run(w);
    assert.equal(second.code, 0);
    assert.match(
      second.out,
      /nothing to run \(3 waiting in the outbox or for a merge, 0 up to date, 0 datasets blocked, 0 not approved yet\)/,
    );

    // outbox ls lists them without values; show prints the YAML to submit, which is the entry's result
    const ls = bufferIO();
    await outboxListCommand({ site: SITE, json: true, cwd: w.root, env: w.env }, ls);
    assert.deepEqual(
      JSON.parse(ls.out.join("")).map((r: { model: string; state: string; dropped: number }) => [
        r.model,
        r.state,
        r.dropped,
      ]),
      [
        ["effusion-net-v2", "pending", 0],
        ["reference-logistic", "pending", 0],
        ["shortcut-cnn", "pending", 0],
      ],
    );
    const show = bufferIO();
    const entry = entries[0] as OutboxEntry;
    await outboxShowCommand({ id: entry.id, cwd: w.root, env: w.env }, show);
    const text = show.out.join("");
    const yaml = text.split("---8<---\n")[1] as string;
    assert.match(
      yaml,
      /^# yaml-language-server: \$schema=\.\.\/\.\.\/\.\.\/\.\.\/schemas\/result\.schema\.json\n/,
    );
    assert.deepEqual(parse(yaml), entry.result);
    assert.match(text, /nothing was dropped from the evaluator's output/);
    const plan = bufferIO();
    await planCommand({ site: SITE, root: w.root, cwd: w.root, env: w.env }, plan);
    assert.match(
      plan.out.join(""),
      /site north-general: 0 triples to run\nwaiting in the outbox, or for their pull request to be merged \(3; see `fedeval outbox ls \[--sent\]`\):/,
    );
  });

  test("--parallel 2 gives the same results as a serial run, one line per finished triple, and removes its containers", async () => {
    const [serial, parallel] = await Promise.all([world(), world()]);
    const one = await run(serial);
    const two = await run(parallel, { parallel: 2 });
    assert.equal(one.code, 0, one.out + one.err);
    assert.equal(two.code, 0, two.out + two.err);
    const lines = two.out.split("\n").filter((l) => l.startsWith("["));
    assert.deepEqual(
      lines.map((l) => l.slice(0, 13)),
      ["[1/3] ok     ", "[2/3] ok     ", "[3/3] ok     "],
    );
    assert.doesNotMatch(
      two.err,
      /on dataset/,
      "the start of each triple is a progress line, on a terminal only",
    );
    const comparable = async (w: SiteWorld) =>
      (await new Outbox(w.site.outbox).list())
        .map(({ result: { provenance, ...rest } }) => ({
          ...rest,
          images: provenance.images,
          dataset_hash: provenance.dataset_hash,
          isolation: provenance.isolation,
        }))
        .sort((x, y) => x.model.localeCompare(y.model));
    const expected = await comparable(serial);
    assert.equal(expected.length, 3);
    assert.deepEqual(await comparable(parallel), expected);
    assert.deepEqual(await containersLabelled(docker, `fedeval.workspace=${parallel.site.root}`), []);
  });

  test("failing, missing and mismatched models each fail in one line; the others still run", async () => {
    const mismatch = `${registry.host}/fedeval-test/tiny@sha256:${hex("not the served image")}`;
    const w = await world((files) => {
      onlyModels(["reference-logistic"])(files);
      addModel(files, "failing-model", bad.failingModel, 30);
      addModel(files, "missing-model", `sha256:${hex("an image nobody built")}`, 20);
      addModel(files, "mismatch-model", mismatch, 10);
    });
    const first = await run(w);
    assert.equal(first.code, 1);
    const lines = first.out.split("\n").filter((l) => l.startsWith("["));
    assert.equal(lines.length, 4);
    assert.match(
      lines[0] as string,
      /^\[1\/4\] failed {2}\S+ \/ failing-model on north-2026: model failed: task infer failed with exit code 1 \(log: .*failing-model\.log\)$/,
    );
    assert.match(
      lines[1] as string,
      /^\[2\/4\] failed {2}\S+ \/ missing-model on north-2026: model image refused: image sha256:[0-9a-f]{64} is not in the Docker Engine/,
    );
    assert.match(
      lines[2] as string,
      /^\[3\/4\] failed {2}\S+ \/ mismatch-model on north-2026: model image refused: image 127\.0\.0\.1:\d+\/fedeval-test\/tiny@sha256:[0-9a-f]{64} does not match its digest/,
    );
    assert.match(
      lines[3] as string,
      /^\[4\/4\] ok {6}\S+ \/ reference-logistic on north-2026: result pending as /,
    );
    assert.doesNotMatch(
      first.out + first.err,
      /patient-0042/,
      "a container's output never reaches the console",
    );
    assert.match(
      await readFile(
        join(
          w.site.runs,
          (await readdir(w.site.runs))[0] as string,
          `${BENCHMARK}--${DATASET}--failing-model.log`,
        ),
        "utf8",
      ),
      /patient-0042/,
    );
    assert.equal((await new Outbox(w.site.outbox).list()).length, 1);

    // asked to keep a partial result, the failed model gets one; refused images still get none
    const second = await run(w, { ignoreModelErrors: true });
    assert.equal(second.code, 1);
    assert.match(
      second.out,
      /\[1\/3\] partial \S+ \/ failing-model on north-2026: model failed: task infer failed with exit code 1; partial result pending as /,
    );
    const partial = (await new Outbox(w.site.outbox).list()).find((e) => e.result.model === "failing-model")
      ?.result as Result;
    assert.equal(partial.partial, true);
    assert.deepEqual(partial.errors, ["model-error"]);
    assert.deepEqual(partial.metrics.auc, { value: null, reason: "model-error" });
    assert.ok(Object.values(partial.metrics).every((m) => m.value === null && m.reason === "model-error"));
  });

  test("an evaluator smuggling strings and extra keys: dropped, reported by path, never by value", async () => {
    const w = await world((files) => {
      withEvaluator(bad.smugglingEvaluator)(files);
      aucByMean(files);
    });
    const { code, out, err } = await run(w);
    assert.equal(code, 0, out + err);
    assert.match(
      out,
      /ok {6}\S+ \/ reference-logistic on north-2026: result pending as \S+ \(3 metrics missing, 7 fields of results\.yaml dropped; see `fedeval outbox show`\)/,
    );
    assert.doesNotMatch(out + err, /patient|PATIENT|p-0042|0\.81234|0\.79876/);
    const [entry] = await new Outbox(w.site.outbox).list();
    assert.ok(entry);
    assert.deepEqual(entry.dropped.map((d) => d.path).sort(), [
      "metrics.auc.note",
      "metrics.ece",
      "metrics.leaked_rows",
      "metrics.sensitivity",
      "metrics.specificity",
      "patient_ids",
      "subgroups[1]",
    ]);
    assert.doesNotMatch(
      JSON.stringify(entry.dropped),
      /patient-0042|PATIENT|p-0042/,
      "dropped reasons hold no values",
    );
    assert.deepEqual(entry.result.metrics.auc, { value: 0.8123 }, "rounded to 4 significant digits");
    assert.deepEqual(entry.result.metrics.sensitivity, { value: null, reason: "evaluator-error" });
    assert.deepEqual(entry.result.errors, ["evaluator-error"]);
    const show = bufferIO();
    await outboxShowCommand({ id: entry.id, site: SITE, cwd: w.root, env: w.env }, show);
    const text = show.out.join("");
    assert.match(
      text,
      /dropped from the evaluator.s output \(7; never submitted\):\n {2}patient_ids: not part of an evaluator.s output\n {2}metrics\.auc\.note: not a declared field/,
    );
    assert.doesNotMatch(text, /patient-0042 positive|PATIENT|p-0042/);
  });

  test("MedPerf's flat results.yaml is read through the benchmark's metric keys", async () => {
    const w = await world((files) => {
      withEvaluator(bad.medperfEvaluator)(files);
      withMetrics(MEDPERF_METRICS({}))(files);
    });
    const { code, out, err } = await run(w);
    assert.equal(code, 0, out + err);
    assert.match(out, /ok {6}\S+ \/ reference-logistic on north-2026: result pending as \S+$/m);
    assert.doesNotMatch(out + err, /0\.75|0\.8/);
    const [entry] = await new Outbox(w.site.outbox).list();
    assert.deepEqual(entry?.result.metrics, { auc: { value: 0.75 }, accuracy: { value: 0.8 } });
    assert.deepEqual(entry?.dropped, []);
  });

  test("a result the benchmark cannot pool as it declares is refused by run, before approval, saying what is missing", async () => {
    const w = await world((files) => {
      withEvaluator(bad.medperfEvaluator)(files);
      withMetrics(MEDPERF_METRICS({ pooling: "histogram", histogram_bins: 20 }))(files);
    });
    const { code, out } = await run(w);
    assert.equal(code, 1);
    assert.match(
      out,
      /failed {2}\S+ \/ reference-logistic on north-2026: evaluator output refused: it cannot be pooled as benchmark pleural-effusion-demo declares: auc pools by "histogram" across sites and needs "histogram" beside its value \(log: /m,
    );
    assert.deepEqual(await new Outbox(w.site.outbox).list(), [], "nothing waits for approval");
  });

  test("a failing evaluator never yields a result", async () => {
    const w = await world(withEvaluator(bad.failingEvaluator));
    const { code, out } = await run(w, { ignoreModelErrors: true });
    assert.equal(code, 1);
    assert.match(
      out,
      /failed {2}\S+ \/ reference-logistic on north-2026: evaluator failed: task evaluate failed with exit code 2/,
    );
    assert.deepEqual(await new Outbox(w.site.outbox).list(), []);
  });

  test("results.yaml with CR-only line ends starting with a comment is read as lines", async () => {
    const w = await world((files) => {
      allModelsWithEvaluator(bad.crOnlyEvaluator)(files);
      aucByMean(files);
    });
    const { code, out, err } = await run(w);
    assert.equal(code, 0, out + err);
    assert.match(out, /3 triples: 3 ok, 0 partial, 0 failed/);
    const entries = await new Outbox(w.site.outbox).list();
    assert.deepEqual(
      entries.map((e) => e.result.metrics.auc),
      entries.map(() => ({ value: 0.8123 })),
    );
  });

  test("a results.yaml with 40,000 keys fails its triple in one line, and every other triple still runs (never exit 70)", async () => {
    const w = await world(allModelsWithEvaluator(bad.manyKeysEvaluator));
    const { code, out, err } = await run(w);
    assert.equal(code, 1, out + err);
    const failed = out.split("\n").filter((l) => /^\[\d\/3\] failed /.test(l));
    assert.equal(failed.length, 3, out);
    for (const line of failed) {
      // refused by the bound on keys, or by the time budget on a machine too busy to read it in 5 s
      assert.match(
        line,
        /: evaluator output refused: results\.yaml is not valid YAML \((too-many-keys|too-complex)\)/,
      );
    }
    assert.match(out, /3 triples: 0 ok, 0 partial, 3 failed/);
    assert.deepEqual(await new Outbox(w.site.outbox).list(), []);
  });

  test("interrupted mid-way: the container is removed, nothing is half-written, and the next run resumes; a concurrent run is refused", async () => {
    const w = await world((files) => {
      onlyModels(["reference-logistic", "effusion-net-v2"])(files);
      addModel(files, "slow-model", bad.slowModel, 7); // between effusion-net-v2 (10) and reference-logistic (0)
    });
    const { index } = await loadGovernance(w.root);
    const controller = new AbortController();
    const request = {
      index,
      site: SITE,
      runner: await createRunner("docker", { home: w.home, cwd: w.root, env: w.env, docker }),
      limits: siteLimits({ timeout: "60s" }),
      workspace: w.site,
      logger: silentLogger,
    };
    const running = runSite({ ...request, signal: controller.signal });
    // wait until the slow model's container runs
    let runId = "";
    for (let i = 0; i < 300 && !runId; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const ids = await containersLabelled(docker, `fedeval.workspace=${w.site.root}`);
      const runs = await readdir(w.site.runs).catch(() => [] as string[]);
      const log = runs[0] ? join(w.site.runs, runs[0], `${BENCHMARK}--${DATASET}--slow-model.log`) : "";
      if (ids.length && log && (await readFile(log, "utf8").catch(() => ""))) runId = runs[0] as string;
    }
    assert.ok(runId, "the slow model started");

    const second = await runSite(request).catch((e: unknown) => e);
    assert.ok(second instanceof UserError);
    assert.match(second.message, /site workspace .* is in use by another fedeval run \(pid \d+, started /);

    controller.abort();
    const report = await running;
    assert.equal(report.interrupted, true);
    assert.deepEqual(
      report.outcomes.map((o) => [o.model, o.status]),
      [
        ["effusion-net-v2", "ok"],
        ["slow-model", "interrupted"],
        ["reference-logistic", "interrupted"],
      ],
    );
    assert.deepEqual(await containersLabelled(docker, `fedeval.run=${runId}`), []);
    const files = await readdir(w.site.outbox);
    assert.deepEqual(
      files,
      [`${BENCHMARK}--${DATASET}--effusion-net-v2--${runId}.json`],
      "one whole entry, no temporary file",
    );
    JSON.parse(await readFile(join(w.site.outbox, files[0] as string), "utf8"));

    const plan = await planSite({
      index,
      site: SITE,
      workspace: w.site,
      outbox: await new Outbox(w.site.outbox).list(),
    });
    assert.deepEqual(
      plan.triples.map((t) => t.model),
      ["slow-model", "reference-logistic"],
    );
    assert.deepEqual(
      plan.waiting.map((t) => t.model),
      ["effusion-net-v2"],
    );
    const resumed = await runSite({ ...request, model: "reference-logistic" });
    assert.deepEqual(
      resumed.outcomes.map((o) => [o.model, o.status]),
      [["reference-logistic", "ok"]],
    );
  });

  test("refuses to run from a governance folder that is not a clean git clone", async () => {
    const w = await world();
    await writeFile(join(w.root, b, "models", "effusion-net-v2.yaml"), "# edited\n", { flag: "a" });
    await assert.rejects(
      run(w),
      /1 uncommitted change under sites\/ or benchmarks\/ .*commit or discard them/,
    );
    await rm(join(w.root, ".git"), { recursive: true });
    await assert.rejects(run(w), /is not a git clone of the governance repository/);
  });
});

/** Every number of a result's metrics and subgroups (what must never be printed before approval). */
function valuesOf(result: OutboxEntry["result"]): number[] {
  const out = new Set<number>([result.n]);
  const walk = (v: unknown) => {
    if (typeof v === "number") out.add(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") Object.values(v).forEach(walk);
  };
  walk(result.metrics);
  walk(result.subgroups);
  // small counts (0..9) are too common to search for in text (e.g. "[1/3]"); every value is > 9 or a fraction
  return [...out].filter((v) => !Number.isInteger(v) || v > 9);
}
