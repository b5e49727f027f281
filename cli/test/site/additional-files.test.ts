/**
 * Additional files (MedPerf's `additional_files_tarball_url` / hash): fetched on the host from a
 * local HTTP server, a proxy, a file:// URL or the governance repository, checked, extracted,
 * cached by hash; then a real model container reads its weights from the read-only
 * `additional_files` mount, and a different file is refused before anything runs.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { parse } from "yaml";
import { buildDemoImages } from "../../src/app/demo/demo-images.ts";
import { ExternalError, UserError } from "../../src/base/errors.ts";
import { memoryLogger } from "../../src/base/logger.ts";
import { bufferIO } from "../../src/commands/io.ts";
import { runCommand } from "../../src/commands/run.ts";
import { buildNodeImage } from "../../src/containers/node-image.ts";
import { toYaml } from "../../src/formats/yaml-write.ts";
import { governanceFileText } from "../../src/governance/governance-file.ts";
import type { ContainerReference } from "../../src/governance/types.ts";
import { Outbox } from "../../src/results/outbox.ts";
import { signResult } from "../../src/results/signature.ts";
import { staleness } from "../../src/results/staleness.ts";
import { AdditionalFiles } from "../../src/site/additional-files.ts";
import { hashDatasetTree } from "../../src/site/tree-hash.ts";
import { validateRepository } from "../../src/validate/validate-repository.ts";
import { dockerForTests } from "../helpers/docker.ts";
import { serve } from "../helpers/file-server.ts";
import {
  BENCHMARK,
  containerConfig,
  decide,
  siteKey,
  type TestImages,
  testModel,
} from "../helpers/fixtures.ts";
import { sha256, tarGz } from "../helpers/tar.ts";
import {
  DATASET,
  DEMO_CONTAINERS,
  demoImageRefs,
  onlyModels,
  type PreparedDataset,
  prepareDemoDataset,
  removeImages,
  SITE,
  siteWorld,
} from "./site-fixture.ts";

const WEIGHTS = await readFile(join(DEMO_CONTAINERS, "weights", "effusion-net-v2.json"));
const ARCHIVE = tarGz([
  { name: "weights/", type: "5" },
  { name: "weights/effusion-net-v2.json", content: WEIGHTS },
]);
const SHA = sha256(ARCHIVE);

const at = (ref: ContainerReference, root = "/nonexistent") => ({
  root,
  benchmark: BENCHMARK,
  ref,
  role: "model m (benchmarks/b/models/m.yaml)",
});
const ref = (additional_files: ContainerReference["additional_files"]): ContainerReference => ({
  image: `sha256:${"0".repeat(64)}`,
  config: "containers/m.yaml",
  additional_files,
});

async function refusal(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => assert.fail("not refused"),
    (err: unknown) => err,
  );
  assert.ok(e instanceof UserError || e instanceof ExternalError, String(e));
  assert.doesNotMatch(e.message, /\n/);
  assert.match(e.message, /^additional files of model m \(benchmarks\/b\/models\/m\.yaml\): /);
  return e.message;
}

describe("additional files on the host", () => {
  let server: Awaited<ReturnType<typeof serve>>;
  const cache = () => mkdtemp(join(tmpdir(), "fedeval-af-cache-"));
  before(async () => {
    const bomb = tarGz([{ name: "zeros", content: Buffer.alloc(4 * 2 ** 20) }]);
    server = await serve({
      "/weights.tar.gz": ARCHIVE,
      "/evil.tar.gz": tarGz([{ name: "../../escaped.txt", content: "x" }]),
      "/link.tar.gz": tarGz([{ name: "w", type: "2", link: "../../../etc/passwd" }]),
      "/hard.tar.gz": tarGz([{ name: "h", type: "1", link: "/etc/passwd" }]),
      "/bomb.tar.gz": bomb,
      "/truncated.tar.gz": (res) => {
        res.writeHead(200, { "Content-Length": String(ARCHIVE.length) });
        res.write(ARCHIVE.subarray(0, 100));
        setTimeout(() => res.socket?.destroy(), 20);
      },
    });
  });
  after(() => server.close());

  test("downloads, checks, extracts and caches by hash: a second run does not download again", async () => {
    const dir = await cache();
    const source = { url: `${server.url}/weights.tar.gz`, sha256: SHA };
    const before = server.requests.length;
    const folder = await new AdditionalFiles({ cache: dir, env: {}, logger: memoryLogger() }).folder(
      at(ref(source)),
    );
    assert.equal(folder, join(dir, SHA, "files"));
    assert.deepEqual(await readFile(join(folder as string, "weights", "effusion-net-v2.json")), WEIGHTS);
    const again = await new AdditionalFiles({ cache: dir, env: {}, logger: memoryLogger() }).folder(
      at(ref(source)),
    );
    assert.equal(again, folder);
    assert.equal(server.requests.length - before, 1, "downloaded once");
    assert.deepEqual(await readdir(dir), [SHA], "no temporary folder left");
  });

  test("a cache entry changed on disk is noticed and fetched again", async () => {
    const dir = await cache();
    const source = { url: `${server.url}/weights.tar.gz`, sha256: SHA };
    const first = await new AdditionalFiles({ cache: dir, env: {}, logger: memoryLogger() }).folder(
      at(ref(source)),
    );
    await writeFile(join(first as string, "weights", "effusion-net-v2.json"), "{}");
    const before = server.requests.length;
    const logger = memoryLogger();
    const folder = await new AdditionalFiles({ cache: dir, env: {}, logger }).folder(at(ref(source)));
    assert.deepEqual(await readFile(join(folder as string, "weights", "effusion-net-v2.json")), WEIGHTS);
    assert.equal(server.requests.length - before, 1, "fetched again");
    assert.ok(
      logger.lines.some((l) => /changed on disk; fetching it again/.test(l)),
      logger.lines.join("\n"),
    );
  });

  test("honours HTTP_PROXY (the host name exists only behind the proxy)", async () => {
    const before = server.requests.length;
    const folder = await new AdditionalFiles({
      cache: await cache(),
      env: { HTTP_PROXY: server.url },
      logger: memoryLogger(),
    }).folder(at(ref({ url: "http://weights.invalid/weights.tar.gz", sha256: SHA })));
    assert.deepEqual(await readFile(join(folder as string, "weights", "effusion-net-v2.json")), WEIGHTS);
    assert.deepEqual(server.requests.slice(before), ["CONNECT weights.invalid:80", "/weights.tar.gz"]);
  });

  test("accepts a file:// URL, an archive in the repository, and a folder in the repository", async () => {
    const root = await mkdtemp(join(tmpdir(), "fedeval-af-repo-"));
    const files = join(root, "benchmarks", BENCHMARK, "containers", "m", "additional_files");
    await mkdir(join(files, "folder", "weights"), { recursive: true });
    await writeFile(join(files, "w.tar.gz"), ARCHIVE);
    await writeFile(join(files, "folder", "weights", "effusion-net-v2.json"), WEIGHTS);
    const get = (source: ContainerReference["additional_files"]) =>
      cache().then((dir) =>
        new AdditionalFiles({ cache: dir, env: {}, logger: memoryLogger() }).folder(at(ref(source), root)),
      );
    const fromUrl = await get({ url: pathToFileURL(join(files, "w.tar.gz")).href, sha256: SHA });
    assert.deepEqual(await readFile(join(fromUrl as string, "weights", "effusion-net-v2.json")), WEIGHTS);
    const fromPath = await get({ path: "containers/m/additional_files/w.tar.gz", sha256: SHA });
    assert.deepEqual(await readFile(join(fromPath as string, "weights", "effusion-net-v2.json")), WEIGHTS);
    const tree = (await hashDatasetTree(join(files, "folder"))).hash.split(":").pop() as string;
    const folder = await get({ path: "containers/m/additional_files/folder", sha256: tree });
    assert.equal(folder, join(files, "folder"));
    assert.match(
      await refusal(get({ path: "containers/m/additional_files/folder", sha256: SHA })),
      /the folder containers\/m\/additional_files\/folder has fedeval-tree-v1 hash [0-9a-f]{64}, not the declared/,
    );
  });

  test("a container without additional files gets none", async () => {
    const folder = await new AdditionalFiles({
      cache: await cache(),
      env: {},
      logger: memoryLogger(),
    }).folder(at(ref(undefined)));
    assert.equal(folder, undefined);
  });

  const hostile: [string, string, string, RegExp][] = [
    [
      "a wrong hash",
      "/weights.tar.gz",
      "1".repeat(64),
      /has SHA-256 [0-9a-f]{64}, not the declared 1{64}; nothing was run$/,
    ],
    [
      "a 404",
      "/missing.tar.gz",
      SHA,
      /cannot download http:\/\/127\.0\.0\.1:\d+\/missing\.tar\.gz: HTTP 404$/,
    ],
    ["a truncated download", "/truncated.tar.gz", SHA, /the download of .* broke off after 100 B/],
    [
      "path traversal",
      "/evil.tar.gz",
      "",
      /\.\.\/\.\.\/escaped\.txt has a '\.\.' segment; nothing was extracted$/,
    ],
    ["a symlink escape", "/link.tar.gz", "", /the symlink w -> \.\.\/\.\.\/\.\.\/etc\/passwd points outside/],
    ["a hard link out", "/hard.tar.gz", "", /\/etc\/passwd is an absolute path/],
    ["a size bomb", "/bomb.tar.gz", "", /its files hold more than 1 MiB/],
  ];
  for (const [what, path, hash, message] of hostile) {
    test(`refuses ${what} in one line and caches nothing`, async () => {
      const dir = await cache();
      const served = path === "/missing.tar.gz" || path === "/truncated.tar.gz" || hash ? undefined : path;
      const body = served ? await fetch(`${server.url}${served}`).then((r) => r.arrayBuffer()) : undefined;
      const sha = hash || sha256(Buffer.from(body as ArrayBuffer));
      const files = new AdditionalFiles({
        cache: dir,
        env: {},
        logger: memoryLogger(),
        limits: { maxBytes: 2 ** 20, maxEntries: 100, maxArchiveBytes: 2 ** 20 },
      });
      assert.match(
        await refusal(files.folder(at(ref({ url: `${server.url}${path}`, sha256: sha })))),
        message,
      );
      assert.deepEqual(await readdir(dir), []);
    });
  }
});

const { docker, skip } = await dockerForTests();
const b = `benchmarks/${BENCHMARK}`;

/** The demo model without weights in its image: it reads them from its additional files. */
const WEIGHTLESS_MODEL = `import { writeFileSync } from "node:fs";
const dir = "/mlcommons/volumes/additional_files";
try {
  writeFileSync(dir + "/written-by-the-model", "x");
  process.stderr.write("Error: the additional files are writable\\n");
  process.exit(4);
} catch {}
process.env.FEDEVAL_DEMO_WEIGHTS = dir + "/weights/effusion-net-v2.json";
await import("/app/model.mjs");`;

describe("a model's weights as additional files, in Docker", { skip }, () => {
  let images: TestImages;
  let weightless: string;
  let prepared: PreparedDataset;
  let server: Awaited<ReturnType<typeof serve>>;

  before(async () => {
    images = await buildDemoImages(docker, "fedeval-test-af");
    weightless = await buildNodeImage(docker, {
      tag: "fedeval-test-af/weightless:dev",
      files: {
        "/app/lib.mjs": { hostPath: join(DEMO_CONTAINERS, "lib.mjs") },
        "/app/model.mjs": { hostPath: join(DEMO_CONTAINERS, "model.mjs") },
        "/app/weightless.mjs": WEIGHTLESS_MODEL,
      },
      entrypoint: [],
    });
    server = await serve({ "/weights.tar.gz": ARCHIVE });
    prepared = await prepareDemoDataset(images, docker);
  });
  after(async () => {
    server?.close();
    if (images) await removeImages(docker, [...demoImageRefs(images), weightless]);
  });

  /** effusion-net-v2 (weights in its image) beside `weightless` (the same weights as additional files). */
  const withWeightless = (sha: string) => (files: Map<string, string>) => {
    onlyModels(["reference-logistic", "effusion-net-v2"])(files);
    const config = parse(containerConfig(weightless, "model"));
    config.tasks.infer.run_args.command = config.tasks.infer.run_args.command.replace(
      "/app/model.mjs",
      "/app/weightless.mjs",
    );
    config.tasks.infer.input_volumes.additional_files = {
      mount_path: "/mlcommons/volumes/additional_files",
      type: "directory",
    };
    files.set(`${b}/containers/weightless.yaml`, toYaml(config));
    const model = {
      ...testModel("effusion-net-v2", weightless),
      id: "weightless",
      title: "weightless",
      container: {
        image: weightless,
        config: "containers/weightless.yaml",
        additional_files: { url: `${server.url}/weights.tar.gz`, sha256: sha },
      },
    };
    files.set(`${b}/models/weightless.yaml`, governanceFileText("model", model));
    decide(files, `${b}/models/weightless.yaml`);
  };

  async function run(w: Awaited<ReturnType<typeof siteWorld>>) {
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
      },
      io,
    );
    return { code, out: io.out.join(""), err: io.err.join("") };
  }

  test("the model reads its weights from the read-only mount and scores as with baked-in weights", async () => {
    const w = await siteWorld(images, prepared, withWeightless(SHA));
    assert.deepEqual(
      (await validateRepository({ root: w.root })).diagnostics.filter((d) => d.severity === "error"),
      [],
    );
    const { code, out, err } = await run(w);
    assert.equal(code, 0, out + err);
    const entries = await new Outbox(w.site.outbox).list();
    const byModel = Object.fromEntries(entries.map((e) => [e.result.model, e.result]));
    assert.deepEqual(Object.keys(byModel).sort(), ["effusion-net-v2", "reference-logistic", "weightless"]);
    assert.deepEqual(byModel.weightless?.metrics, byModel["effusion-net-v2"]?.metrics);
    assert.deepEqual(byModel.weightless?.provenance.additional_files, { model: SHA });
    assert.equal(byModel["effusion-net-v2"]?.provenance.additional_files, undefined);
    assert.deepEqual(await readdir(join(w.site.additionalFiles, SHA, "files", "weights")), [
      "effusion-net-v2.json",
    ]);
  });

  test("another file than the approved one is refused before any container runs", async () => {
    const w = await siteWorld(images, prepared, (files) => {
      withWeightless("2".repeat(64))(files);
      files.delete(`${b}/models/effusion-net-v2.yaml`);
    });
    const { code, out } = await run(w);
    assert.notEqual(code, 0);
    const line = out.split("\n").find((l) => l.includes("weightless")) ?? "";
    assert.match(
      line,
      /failed .*additional files of model weightless \(benchmarks\/pleural-effusion-demo\/models\/weightless\.yaml\): http:\/\/127\.0\.0\.1:\d+\/weights\.tar\.gz has SHA-256 [0-9a-f]{64}, not the declared 2{64}; nothing was run/,
    );
    const logs = await readdir(join(w.site.runs), { recursive: true });
    const weightlessLogs = logs.filter((l) => l.endsWith("weightless.log"));
    for (const log of weightlessLogs) {
      assert.doesNotMatch(await readFile(join(w.site.runs, log), "utf8"), /^== /m, `a task ran: ${log}`);
    }
    const models = (await new Outbox(w.site.outbox).list()).map((e) => e.result.model);
    assert.deepEqual(models, ["reference-logistic"]);
    await rm(w.home, { recursive: true, force: true });
  });

  test("a signed result records the hash; another hash in the model file makes it stale", async () => {
    const w = await siteWorld(images, prepared, withWeightless(SHA));
    assert.equal((await run(w)).code, 0);
    const result = (await new Outbox(w.site.outbox).list()).find(
      (e) => e.result.model === "weightless",
    )?.result;
    assert.ok(result);
    const at = new Date(Date.parse(result.provenance.finished_at) + 60_000)
      .toISOString()
      .replace(/\.\d+Z$/, "Z");
    const signed = signResult(
      { ...result, approval: { by: "north-it", at, policy: "manual" } },
      "demo-1",
      siteKey(SITE).privateKey,
    );
    await mkdir(join(w.root, b, "results", DATASET), { recursive: true });
    await writeFile(
      join(w.root, b, "results", DATASET, "weightless.yaml"),
      governanceFileText("result", signed),
    );
    const errors = async () =>
      (await validateRepository({ root: w.root })).diagnostics.filter((d) => d.severity === "error");
    assert.deepEqual(await errors(), []);

    const model = join(w.root, b, "models", "weightless.yaml");
    await writeFile(model, (await readFile(model, "utf8")).replace(SHA, "c".repeat(64)));
    // a history rule: a warning on the result (an error in a change that touches it), which plan re-runs
    const found = (await validateRepository({ root: w.root })).diagnostics.filter((d) => d.rule === "FE206");
    assert.deepEqual(
      found.map((d) => [d.file, d.severity, d.message]),
      [
        [
          `${b}/results/${DATASET}/weightless.yaml`,
          "warning",
          `ran with additional files ${SHA}, not the approved additional files of model weightless (${"c".repeat(64)})`,
        ],
      ],
    );
    const reasons = staleness(signed, {
      benchmark_version: signed.benchmark.version,
      images: signed.provenance.images,
      additional_files: { model: "c".repeat(64) },
      dataset_hash: signed.provenance.dataset_hash,
    });
    assert.deepEqual(reasons, ["model additional files changed"]);
  });
});
