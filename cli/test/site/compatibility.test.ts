/**
 * compatibilityTest: the demo dataset from each source (a folder, an archive in the repository,
 * an archive downloaded from a local HTTP server), its SHA-256 checked, prepared and run with the
 * demo containers; with the process runner, and once in Docker.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cp, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { buildDemoImages, demoProcessImages } from "../../src/app/demo/demo-images.ts";
import { UserError } from "../../src/base/errors.ts";
import { silentLogger } from "../../src/base/logger.ts";
import { ProcessRunner } from "../../src/containers/process-runner.ts";
import { toYaml } from "../../src/formats/yaml-write.ts";
import { loadGovernance } from "../../src/governance/loader.ts";
import type { Benchmark } from "../../src/governance/types.ts";
import { compatibilityTest } from "../../src/site/compatibility.ts";
import { createRunner } from "../../src/site/runners.ts";
import { hashDatasetTree } from "../../src/site/tree-hash.ts";
import { dockerForTests } from "../helpers/docker.ts";
import { BENCHMARK, type TestImages } from "../helpers/fixtures.ts";
import { demoImageRefs, demoRepository, rawExport, removeImages } from "./site-fixture.ts";

const B = `benchmarks/${BENCHMARK}`;
const { docker, skip } = await dockerForTests();

/** The raw demo export of a site as a folder holding data/ and labels/. */
async function demoFolder(): Promise<string> {
  const raw = await rawExport("south-coast");
  const dir = join(await mkdtemp(join(tmpdir(), "fedeval-demo-")), "demo");
  await cp(raw.data, join(dir, "data"), { recursive: true });
  await cp(raw.labels, join(dir, "labels"), { recursive: true });
  return dir;
}

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");
const treeDigest = async (dir: string) => (await hashDatasetTree(dir)).hash.split(":").pop() as string;

/** The demo governance with `demo_dataset` set and `files` copied into the benchmark folder. */
async function repository(
  images: TestImages,
  demo: Benchmark["demo_dataset"],
  copy: Record<string, string> = {},
): Promise<string> {
  const root = await demoRepository(images, (files) => {
    const file = `${B}/benchmark.yaml`;
    files.set(file, toYaml({ ...parse(files.get(file) as string), demo_dataset: demo }));
  });
  for (const [to, from] of Object.entries(copy)) await cp(from, join(root, B, to), { recursive: true });
  return root;
}

async function test(
  root: string,
  runner: Parameters<typeof compatibilityTest>[0]["runner"],
  models: string[],
) {
  const { index } = await loadGovernance(root);
  return compatibilityTest({
    index,
    benchmark: BENCHMARK,
    models,
    runner,
    workDir: await mkdtemp(join(tmpdir(), "fedeval-compat-")),
    logger: silentLogger,
  });
}

describe("compatibilityTest with the process runner", () => {
  let images: TestImages;
  let runner: ProcessRunner;
  let folder: string;
  let archive: Buffer;
  let server: ReturnType<typeof createServer>;
  let base: string;
  before(async () => {
    const dir = await mkdtemp(join(tmpdir(), "fedeval-images-"));
    const made = await demoProcessImages(dir);
    images = made.images;
    runner = new ProcessRunner({ cwd: dir, env: { PATH: process.env.PATH }, entrypoints: made.entrypoints });
    folder = await demoFolder();
    archive = execFileSync("tar", ["-czf", "-", "-C", folder, "data", "labels"]);
    server = createServer((req, res) => {
      if (req.url === "/demo.tar.gz") res.writeHead(200).end(archive);
      else res.writeHead(404).end("not found");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  it("gives the same metrics from a folder, an archive in the repository and a downloaded archive", async () => {
    const fromFolder = await test(
      await repository(
        images,
        { path: "demo-data", sha256: await treeDigest(folder) },
        { "demo-data": folder },
      ),
      runner,
      ["shortcut-cnn", "effusion-net-v2"],
    );
    assert.ok(fromFolder.ok);
    assert.equal(fromFolder.cases, 600);
    assert.deepEqual(
      fromFolder.models.map((m) => [m.model, m.status, m.message]),
      [
        ["shortcut-cnn", "ok", "ok"],
        ["effusion-net-v2", "ok", "ok"],
      ],
    );
    const metrics = fromFolder.models.map((m) => m.metrics);
    for (const m of metrics) {
      assert.deepEqual(Object.keys(m), ["auc", "sensitivity", "specificity", "ece"]);
      assert.ok(Object.values(m).every((v) => typeof v === "number" && v >= 0 && v <= 1));
    }
    assert.notDeepEqual(metrics[0], metrics[1], "two models, two sets of metrics");

    const archiveFile = join(await mkdtemp(join(tmpdir(), "fedeval-archive-")), "demo.tar.gz");
    await writeFile(archiveFile, archive);
    const fromArchive = await test(
      await repository(
        images,
        { path: "demo.tar.gz", sha256: sha256(archive) },
        { "demo.tar.gz": archiveFile },
      ),
      runner,
      ["shortcut-cnn", "effusion-net-v2"],
    );
    assert.ok(fromArchive.ok);
    assert.deepEqual(
      fromArchive.models.map((m) => m.metrics),
      metrics,
    );

    const downloaded = await test(
      await repository(images, { url: `${base}/demo.tar.gz`, sha256: sha256(archive) }),
      runner,
      ["shortcut-cnn"],
    );
    assert.ok(downloaded.ok);
    assert.deepEqual(downloaded.models[0]?.metrics, metrics[0]);
    assert.match(await readFile(downloaded.logFile, "utf8"), /sanity check passed: 600 cases/);
  });

  it("refuses a download whose SHA-256 is not the declared one, or that is missing", async () => {
    const wrong = "a".repeat(64);
    await assert.rejects(
      test(await repository(images, { url: `${base}/demo.tar.gz`, sha256: wrong }), runner, ["shortcut-cnn"]),
      (e: Error) =>
        e instanceof UserError &&
        e.message ===
          `demo_dataset url ${base}/demo.tar.gz (${B}/benchmark.yaml): its SHA-256 is ${sha256(archive)}, not the sha256 ${wrong} the benchmark declares; the data changed or the sha256 is wrong`,
    );
    await assert.rejects(
      test(await repository(images, { url: `${base}/gone.tar.gz`, sha256: wrong }), runner, ["shortcut-cnn"]),
      /cannot download the demo dataset http:\/\/127\.0\.0\.1:\d+\/gone\.tar\.gz: HTTP 404/,
    );
  });

  it("refuses an archive without labels/ and a benchmark without a demo dataset", async () => {
    const dataOnly = execFileSync("tar", ["-czf", "-", "-C", folder, "data"]);
    const file = join(await mkdtemp(join(tmpdir(), "fedeval-archive-")), "demo.tar.gz");
    await writeFile(file, dataOnly);
    await assert.rejects(
      test(
        await repository(images, { path: "demo.tar.gz", sha256: sha256(dataOnly) }, { "demo.tar.gz": file }),
        runner,
        ["shortcut-cnn"],
      ),
      new UserError(
        `the demo dataset of ${B}/benchmark.yaml has no labels/ folder at its top (it needs data/ and labels/)`,
      ),
    );
    await assert.rejects(
      test(await demoRepository(images), runner, ["shortcut-cnn"]),
      new UserError(`${B}/benchmark.yaml declares no demo_dataset: there is no data to test models on`),
    );
  });

  it("reports a failed preparation as an outcome", async () => {
    const broken = join(await mkdtemp(join(tmpdir(), "fedeval-demo-")), "demo");
    await cp(folder, broken, { recursive: true });
    await writeFile(join(broken, "labels", "labels.csv"), "case_id,effusion\nc00000,7\n");
    const report = await test(
      await repository(
        images,
        { path: "demo-data", sha256: await treeDigest(broken) },
        { "demo-data": broken },
      ),
      runner,
      ["shortcut-cnn"],
    );
    assert.equal(report.ok, false);
    assert.ok(!report.ok);
    assert.equal(report.step, "sanity_check");
    assert.equal(report.message, "task sanity_check failed with exit code 1");
  });
});

describe("compatibilityTest with the docker runner", { skip }, () => {
  it("runs the model in a container and gives the process runner's metrics", async () => {
    const built = await buildDemoImages(docker, "fedeval-test-compatibility");
    try {
      const folder = await demoFolder();
      const demo = { path: "demo-data", sha256: await treeDigest(folder) };
      const inDocker = await test(
        await repository(built, demo, { "demo-data": folder }),
        await createRunner("docker", { home: tmpdir(), cwd: tmpdir(), env: {}, docker }),
        ["shortcut-cnn"],
      );
      const dir = await mkdtemp(join(tmpdir(), "fedeval-images-"));
      const made = await demoProcessImages(dir);
      const onHost = await test(
        await repository(made.images, demo, { "demo-data": folder }),
        new ProcessRunner({ cwd: dir, env: { PATH: process.env.PATH }, entrypoints: made.entrypoints }),
        ["shortcut-cnn"],
      );
      assert.ok(inDocker.ok && onHost.ok);
      assert.equal(inDocker.models[0]?.status, "ok", inDocker.models[0]?.message);
      assert.deepEqual(inDocker.models[0]?.metrics, onHost.models[0]?.metrics);
    } finally {
      await removeImages(docker, demoImageRefs(built));
    }
  });
});
