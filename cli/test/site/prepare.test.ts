import assert from "node:assert/strict";
import { appendFile, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { parse } from "yaml";
import { registerDataset } from "../../src/app/dataset-register.ts";
import { buildDemoImages, demoProcessImages } from "../../src/app/demo/demo-images.ts";
import { silentLogger } from "../../src/base/logger.ts";
import { workspace } from "../../src/base/workspace.ts";
import { datasetCheckCommand } from "../../src/commands/dataset-check.ts";
import { datasetPrepareCommand, datasetTestCommand } from "../../src/commands/dataset-prepare.ts";
import { bufferIO } from "../../src/commands/io.ts";
import { preparedPaths, publishedStatistics, readLocalDataset } from "../../src/site/prepare.ts";
import { saveProcessEntrypoints } from "../../src/site/runners.ts";
import { hashDatasetTree } from "../../src/site/tree-hash.ts";
import { validateRepository } from "../../src/validate/validate-repository.ts";
import { dockerForTests } from "../helpers/docker.ts";
import { BENCHMARK, type TestImages, testBenchmark } from "../helpers/fixtures.ts";
import { TEST_IMAGES } from "../helpers/governance-tree.ts";
import {
  demoImageRefs,
  demoRepository,
  registerDataset as mergeDataset,
  rawExport,
  removeImages,
} from "./site-fixture.ts";

const SITE = "north-general";
const { docker, skip } = await dockerForTests();
const hashes: Record<string, string> = {};

test("published statistics: listed keys only, counts only, declared cells only, small cells suppressed", () => {
  // publishes num_cases, label_counts, sex, age_band; min_cell 20; cells sex [F, M], age_band [18-39, 40-64, 65+]
  const benchmark = testBenchmark(TEST_IMAGES);
  const split = publishedStatistics(benchmark, {
    num_cases: 130,
    label_counts: { effusion: 30, no_effusion: 100, unknown: 0 },
    sex: { F: 120, M: 9 },
    age_band: { "18-39": 100, "patient 0042": 30 },
    scanner_vendor: { "vendor-a": 130 },
    patient_ids: ["p1", "p2"],
  });
  assert.deepEqual(split.published, {
    num_cases: 130,
    label_counts: { effusion: 30, no_effusion: 100 },
    sex: { F: 120 },
  });
  assert.deepEqual(split.local, ["scanner_vendor", "patient_ids"]);
  assert.deepEqual(split.refused, [
    { key: "age_band", why: "categories the benchmark does not declare as cells of this stratum" },
  ]);
  assert.deepEqual(split.suppressed, ["sex.M"]);
  assert.deepEqual(publishedStatistics(benchmark, { age_band: "mostly 65+ (patient 0042 is 103)" }).refused, [
    { key: "age_band", why: "not a count or a map of counts" },
  ]);
});

/** Prepares north-general's export with `runner` and checks everything a site relies on. */
async function prepareAndCheck(runner: "docker" | "process", images: TestImages, home: string) {
  const root = await demoRepository(images);
  const env = { FEDEVAL_HOME: home, PATH: process.env.PATH };
  const raw = await rawExport(SITE);
  const io = bufferIO();
  const args = {
    benchmark: BENCHMARK,
    site: SITE,
    data: raw.data,
    labels: raw.labels,
    root,
    runner,
    cwd: root,
    env,
    as: "north-it",
  };
  const code = await datasetPrepareCommand({ ...args, name: "north-2026" }, io);
  const out = io.out.join("");
  assert.equal(code, 0, io.err.join(""));
  assert.match(out, /published {2}num_cases: 900\n/);
  assert.match(out, /published {2}sex: M=\d+, F=\d+/);
  assert.match(out, /local {6}scanner_vendor: vendor-a=\d+, vendor-b=\d+/);
  assert.match(out, /reference model on this dataset[^\n]*\n {2}auc: 0\.\d+\n {2}sensitivity: /);

  const site = workspace(env).site(SITE);
  const p = preparedPaths(site, BENCHMARK, "north-2026");
  assert.deepEqual((await readdir(p.prepared)).sort(), ["data", "labels"]);
  const tree = await hashDatasetTree(p.prepared);
  const association = parse(await readFile(p.association, "utf8"));
  assert.deepEqual(Object.keys(association.statistics), ["num_cases", "label_counts", "sex", "age_band"]);
  assert.equal(association.statistics.num_cases, 900);
  assert.deepEqual(Object.keys(association.reference_result), ["auc", "sensitivity", "specificity", "ece"]);
  assert.ok(Object.values(association.reference_result).every((v) => typeof v === "number"));
  assert.equal(association.status, "proposed");
  assert.equal(association.site, SITE);
  assert.equal(association.prepared_with, images.preparation);
  assert.equal(association.hash, tree.hash);
  assert.equal(association.medperf_uid, tree.medperfUid);
  assert.equal(association.requested_by, "north-it");
  assert.match(association.prepared_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const local = parse(await readFile(p.statistics, "utf8"));
  assert.ok(local.scanner_vendor, "unpublished statistics stay in the workspace");
  assert.ok(!("scanner_vendor" in association.statistics));

  // once the committee merges it, the repository is valid with it
  await mergeDataset(root, association);
  const report = await validateRepository({ root });
  assert.deepEqual(
    report.diagnostics.filter((d) => d.severity === "error"),
    [],
  );
  hashes[runner] = tree.hash;
  return { root, env, raw, args, site };
}

async function checkLifecycle(ctx: Awaited<ReturnType<typeof prepareAndCheck>>) {
  const { root, env } = ctx;
  const check = (extra = {}) => {
    const io = bufferIO();
    return datasetCheckCommand(
      { benchmark: BENCHMARK, site: SITE, name: "north-2026", cwd: root, env, ...extra },
      io,
    ).then((code) => ({ code, out: io.out.join("") }));
  };
  const fine = await check({ root });
  assert.equal(fine.code, 0, fine.out);
  assert.match(fine.out, /ok: the data is what was prepared/);

  const p = preparedPaths(ctx.site, BENCHMARK, "north-2026");
  await appendFile(join(p.labels, "labels.jsonl"), '{"case_id":"c99999","effusion":1}\n');
  await writeFile(join(p.data, "extra.jsonl"), "{}\n");
  const changed = await check({ root });
  assert.equal(changed.code, 1);
  assert.match(changed.out, /prepared {2}fedeval-tree-v1:sha256:[0-9a-f]{64} {2}DIFFERENT/);
  assert.match(changed.out, /registered fedeval-tree-v1:sha256:[0-9a-f]{64} {2}DIFFERENT/);
  assert.match(changed.out, /added since preparation \(1\):\n {4}data\/extra\.jsonl/);
  assert.match(changed.out, /size changed since preparation \(1\):\n {4}labels\/labels\.jsonl/);
}

describe("dataset prepare with the process runner", () => {
  test("prepares, publishes only what the benchmark lists, and check sees changes", async () => {
    const home = await mkdtemp(join(tmpdir(), "fedeval-home-"));
    const images = await demoProcessImages(join(home, "process-images"));
    await saveProcessEntrypoints(home, images.entrypoints);
    const ctx = await prepareAndCheck("process", images.images, home);

    // what a site gets wrong is refused before anything runs
    const again = (extra: object) =>
      datasetPrepareCommand({ ...ctx.args, name: "north-2026", ...extra }, bufferIO());
    await assert.rejects(
      again({}),
      /already prepared in .*north-2026; choose another --name, or delete that folder/,
    );
    await assert.rejects(again({ name: "North_2026" }), /--name "North_2026" is not a valid dataset id/);
    await assert.rejects(
      again({ name: "n2", benchmark: "other" }),
      /no benchmark "other" in the governance repository \(benchmarks: pleural-effusion-demo\)/,
    );
    await assert.rejects(
      again({ name: "n2", site: "nowhere" }),
      /site "nowhere" is not in the governance repository/,
    );
    await assert.rejects(
      again({ name: "n2", data: join(ctx.raw.data, "cases.csv") }),
      /--data .*cases\.csv is not a directory/,
    );
    await assert.rejects(
      again({ name: "n2", as: "not a login!" }),
      /--as "not a login!" is not a GitHub login/,
    );

    await checkLifecycle(ctx);
  });

  test("a failing step keeps nothing but its log, and shows the last lines of the container's output", async () => {
    const home = await mkdtemp(join(tmpdir(), "fedeval-home-"));
    const images = await demoProcessImages(join(home, "process-images"));
    await saveProcessEntrypoints(home, images.entrypoints);
    const root = await demoRepository(images.images);
    const raw = await rawExport(SITE);
    const labels = join(raw.labels, "labels.csv");
    await writeFile(labels, (await readFile(labels, "utf8")).replace(/,0\n/, ",2\n")); // one label out of {0, 1}
    const io = bufferIO();
    const env = { FEDEVAL_HOME: home, PATH: process.env.PATH };
    const code = await datasetPrepareCommand(
      {
        benchmark: BENCHMARK,
        site: SITE,
        data: raw.data,
        labels: raw.labels,
        name: "bad",
        root,
        runner: "process",
        cwd: root,
        env,
      },
      io,
    );
    assert.equal(code, 1);
    const err = io.err.join("");
    assert.match(err, /preparation failed at sanity_check: task sanity_check failed with exit code 1/);
    assert.match(err, /\| sanity check failed: 1 problem\(s\), first: case c\d+: label must be 0 or 1/);
    assert.match(err, /full log: .*prepare\.log/);
    const site = workspace(env).site(SITE);
    assert.deepEqual(await readdir(join(site.datasets, BENCHMARK)), [], "no dataset and no temporary folder");
    assert.equal(await readLocalDataset(site, BENCHMARK, "bad"), undefined);
  });
});

test("a failing reference model keeps the prepared data, blocks registration, and `dataset test` runs it again", async () => {
  const home = await mkdtemp(join(tmpdir(), "fedeval-home-"));
  const images = await demoProcessImages(join(home, "process-images"));
  const reference = images.images.models["reference-logistic"] as string;
  // the reference model cannot find its weights
  const broken = [process.execPath, "-e", 'console.error("Error: weights.pth not found"); process.exit(1)'];
  await saveProcessEntrypoints(home, { ...images.entrypoints, [reference]: broken });
  const root = await demoRepository(images.images);
  const raw = await rawExport(SITE);
  const env = { FEDEVAL_HOME: home, PATH: process.env.PATH };
  const name = "north-2026";
  const io = bufferIO();
  const code = await datasetPrepareCommand(
    { benchmark: BENCHMARK, site: SITE, ...raw, name, root, runner: "process", cwd: root, env },
    io,
  );
  assert.equal(code, 1);
  assert.match(io.out.join(""), /^prepared dataset north-2026 for benchmark pleural-effusion-demo/);
  const err = io.err.join("");
  assert.match(
    err,
    /^fedeval: reference test failed at the reference model: task infer failed with exit code 1$/m,
  );
  assert.match(err, /\| Error: weights\.pth not found/);
  assert.match(
    err,
    /the prepared data are kept; the dataset cannot be registered until its reference test passes: fix the problem and run `fedeval dataset test --benchmark pleural-effusion-demo --site north-general --name north-2026 --root \.\.\.`/,
  );
  const site = workspace(env).site(SITE);
  const local = await readLocalDataset(site, BENCHMARK, name);
  assert.ok(local, "the prepared dataset is kept");
  assert.equal(local.association.reference_result, undefined);
  const prepared = await hashDatasetTree(local.paths.prepared);
  assert.equal(prepared.hash, local.association.hash);

  await assert.rejects(
    registerDataset({
      benchmark: BENCHMARK,
      site: SITE,
      name,
      root,
      dryRun: true,
      env,
      cwd: root,
      logger: silentLogger,
    }),
    {
      name: "UserError",
      message: `dataset ${name} has not passed its reference test (the benchmark's reference model on it), so the committee could not see that it works: run \`fedeval dataset test --benchmark ${BENCHMARK} --site ${SITE} --name ${name}\` first`,
    },
  );

  // the model's owner fixes it: the test passes on the same prepared data
  await saveProcessEntrypoints(home, images.entrypoints);
  const again = bufferIO();
  const test = { benchmark: BENCHMARK, site: SITE, name, root, runner: "process" as const, cwd: root, env };
  assert.equal(await datasetTestCommand(test, again), 0, again.err.join(""));
  assert.match(
    again.out.join(""),
    /^reference model on this dataset[^\n]*\n {2}auc: 0\.\d+\n {2}sensitivity: /,
  );
  const passed = await readLocalDataset(site, BENCHMARK, name);
  assert.deepEqual(Object.keys(passed?.association.reference_result ?? {}), [
    "auc",
    "sensitivity",
    "specificity",
    "ece",
  ]);
  assert.deepEqual(
    { ...passed?.association, reference_result: undefined },
    { ...local.association, reference_result: undefined },
  );
  assert.equal(
    (await hashDatasetTree(local.paths.prepared)).hash,
    prepared.hash,
    "the prepared data are unchanged",
  );
});

describe("dataset prepare with the docker runner", { skip }, () => {
  test("prepares in containers the same data as the process runner", async () => {
    const images = await buildDemoImages(docker, "fedeval-test-prepare");
    try {
      const ctx = await prepareAndCheck("docker", images, await mkdtemp(join(tmpdir(), "fedeval-home-")));
      assert.equal(hashes.docker, hashes.process, "both runners prepare identical trees");
      await checkLifecycle(ctx);
    } finally {
      await removeImages(docker, demoImageRefs(images));
    }
  });
});
