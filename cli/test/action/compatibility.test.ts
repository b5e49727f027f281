/**
 * The action's `validate` command on a pull request that adds a model: the compatibility test
 * runs the new model on the benchmark's demo dataset (a .tar.gz downloaded from a local HTTP
 * server) with the process runner, and the job summary shows its metrics. Run from the bundled
 * entry, with a real git history and the demo containers as host processes.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { cp, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { demoProcessImages } from "../../src/app/demo/demo-images.ts";
import { toYaml } from "../../src/formats/yaml-write.ts";
import { saveProcessEntrypoints } from "../../src/site/runners.ts";
import { BENCHMARK, type TestImages } from "../helpers/fixtures.ts";
import { commitAll } from "../helpers/git.ts";
import { writeTree } from "../helpers/governance-tree.ts";
import { addModel, demoRepository, rawExport } from "../site/site-fixture.ts";
import { runAction } from "./action-runner.ts";

const B = `benchmarks/${BENCHMARK}`;
const NEW_MODEL = "shortcut-cnn";
/** A process-runner "image" whose every task exits with code 3. */
const BROKEN_IMAGE = `sha256:${"b".repeat(64)}`;

interface World {
  home: string;
  images: TestImages;
  /** Where the demo dataset archive is served, and its SHA-256. */
  url: string;
  sha256: string;
  server: ChildProcess;
}

/** Sets demo_dataset in the benchmark file. */
function withDemoDataset(files: Map<string, string>, url: string, sha256: string): void {
  const file = `${B}/benchmark.yaml`;
  const benchmark = parse(files.get(file) as string);
  files.set(file, toYaml({ ...benchmark, demo_dataset: { url, sha256 } }));
}

/**
 * Serves `file` at http://127.0.0.1:<port>/demo.tar.gz from another process (the action runs
 * under spawnSync, which blocks this one).
 */
async function serveFile(file: string): Promise<{ url: string; server: ChildProcess }> {
  const code = `const fs = require("node:fs");
const s = require("node:http").createServer((q, r) => {
  if (q.url === "/demo.tar.gz") r.writeHead(200).end(fs.readFileSync(process.argv[1]));
  else r.writeHead(404).end();
});
s.listen(0, "127.0.0.1", () => console.log(s.address().port));`;
  const server = spawn(process.execPath, ["-e", code, file], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<string>((resolve) =>
    server.stdout?.once("data", (d) => resolve(String(d).trim())),
  );
  return { url: `http://127.0.0.1:${port}/demo.tar.gz`, server };
}

/**
 * A governance repository whose main has the demo benchmark with a demo dataset and no model
 * shortcut-cnn, and a pull request commit that adds it (and whatever `pr` does). Returns the
 * repository and the base commit.
 */
async function pullRequest(
  world: World,
  opts: { sha256?: string; demo?: false; pr?: (files: Map<string, string>) => void } = {},
): Promise<{ root: string; baseSha: string }> {
  let added = "";
  const root = await demoRepository(world.images, (files) => {
    if (opts.demo !== false) withDemoDataset(files, world.url, opts.sha256 ?? world.sha256);
    added = files.get(`${B}/models/${NEW_MODEL}.yaml`) as string;
    files.delete(`${B}/models/${NEW_MODEL}.yaml`);
  });
  const baseSha = commitAll(root, "demo dataset");
  const files = new Map<string, string>([[`${B}/models/${NEW_MODEL}.yaml`, added]]);
  opts.pr?.(files);
  await writeTree(files, root);
  commitAll(root, "pull request: add a model");
  return { root, baseSha };
}

function validate(world: World, root: string, baseSha: string, inputs: Record<string, string> = {}) {
  return runAction({
    workspace: root,
    inputs: {
      command: "validate",
      "changed-since": baseSha,
      ownership: "false",
      runner: "process",
      ...inputs,
    },
    env: { FEDEVAL_HOME: world.home },
  });
}

describe("action: compatibility test on demo data (process runner)", () => {
  let world: World;
  before(async () => {
    const home = await mkdtemp(join(tmpdir(), "fedeval-home-"));
    const { images, entrypoints } = await demoProcessImages(join(home, "process-images"));
    await saveProcessEntrypoints(home, {
      ...entrypoints,
      [BROKEN_IMAGE]: [process.execPath, "-e", "process.exit(3)"],
    });
    const raw = await rawExport("south-coast");
    const demo = await mkdtemp(join(tmpdir(), "fedeval-demo-data-"));
    await cp(raw.data, join(demo, "data"), { recursive: true });
    await cp(raw.labels, join(demo, "labels"), { recursive: true });
    const archive = execFileSync("tar", ["-czf", "-", "-C", demo, "data", "labels"]);
    await writeFile(join(demo, "demo.tar.gz"), archive);
    const sha256 = createHash("sha256").update(archive).digest("hex");
    world = { home, images, sha256, ...(await serveFile(join(demo, "demo.tar.gz"))) };
  });
  after(() => world.server.kill());

  it("runs the added model on the demo dataset and shows its metrics in the summary and the outputs", async () => {
    const { root, baseSha } = await pullRequest(world);
    const r = await validate(world, root, baseSha);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.outputs.valid, "true");
    assert.equal(r.outputs.compatibility, "passed");
    const results = JSON.parse(r.outputs["compatibility-results"] as string) as Record<
      string,
      Record<string, Record<string, number | null>>
    >;
    assert.deepEqual(Object.keys(results), [BENCHMARK]);
    const metrics = results[BENCHMARK]?.[NEW_MODEL] as Record<string, number | null>;
    assert.ok(metrics, "the new model's metrics");
    assert.ok(typeof metrics.auc === "number" && metrics.auc > 0.5 && metrics.auc <= 1, `auc ${metrics.auc}`);

    assert.match(r.summary, /### Compatibility test on demo data/);
    assert.match(r.summary, new RegExp(`Benchmark ${BENCHMARK}, demo dataset of 600 cases:`));
    const row = r.summary.split("\n").find((l) => l.startsWith(`| ${NEW_MODEL} |`));
    assert.ok(row, r.summary);
    const header = r.summary.split("\n").find((l) => l.startsWith("| Model |")) as string;
    const columns = header.split("|").map((c) => c.trim());
    const cells = row.split("|").map((c) => c.trim());
    for (const [id, value] of Object.entries(metrics)) {
      const at = columns.indexOf(id);
      assert.ok(at > 0, `column ${id}`);
      assert.equal(cells[at], value === null ? cells[at] : String(Math.round(value * 1e4) / 1e4), id);
    }
    assert.match(cells.at(-2) as string, /^✅/);
    // only the changed model ran
    assert.equal(r.summary.match(/^\| (reference-logistic|effusion-net-v2) \|/m), null);
  });

  it("fails the step with an annotation on the model file when the model's container fails", async () => {
    const { root, baseSha } = await pullRequest(world, {
      pr: (files) => addModel(files, "broken-model", BROKEN_IMAGE, 3),
    });
    const r = await validate(world, root, baseSha);
    assert.equal(r.code, 1, r.stdout);
    assert.equal(r.outputs.valid, "true");
    assert.equal(r.outputs.compatibility, "failed");
    assert.match(
      r.stdout,
      new RegExp(
        `^::error title=fedeval compatibility test,file=${B}/models/broken-model.yaml::compatibility test on the demo dataset failed: model failed: task infer failed with exit code 3$`,
        "m",
      ),
    );
    assert.match(r.stdout, /^::error::the compatibility test on demo data failed/m);
    const results = JSON.parse(r.outputs["compatibility-results"] as string);
    assert.equal(typeof results[BENCHMARK][NEW_MODEL].auc, "number", "the other model still ran");
    assert.equal(results[BENCHMARK]["broken-model"].auc, null);
    assert.match(
      r.summary,
      /^\| broken-model \| — \(model-error\) \|.*❌ model failed: task infer failed with exit code 3 \|$/m,
    );
  });

  it("refuses a demo dataset whose hash is not the declared sha256, with a clear error", async () => {
    const { root, baseSha } = await pullRequest(world, { sha256: "0".repeat(64) });
    const r = await validate(world, root, baseSha);
    assert.equal(r.code, 1, r.stdout);
    assert.match(
      r.stdout,
      new RegExp(
        `^::error::demo_dataset url ${world.url} \\(${B}/benchmark.yaml\\): its SHA-256 is ${world.sha256}, not the sha256 0{64} the benchmark declares; the data changed or the sha256 is wrong$`,
        "m",
      ),
    );
  });

  it("says in one line that the benchmark has no demo dataset, and runs nothing with compatibility false", async () => {
    const none = await pullRequest(world, { demo: false });
    const r = await validate(world, none.root, none.baseSha);
    assert.equal(r.code, 0, r.stdout);
    assert.deepEqual(r.outputs, { valid: "true", errors: "0", warnings: "0" }, "no compatibility outputs");
    assert.match(
      r.summary,
      new RegExp(
        `^Benchmark ${BENCHMARK} has no demo dataset \\(no demo\\_dataset in its benchmark.yaml\\): 1 changed model not tested.$`,
        "m",
      ),
    );

    const { root, baseSha } = await pullRequest(world, {
      pr: (files) => addModel(files, "broken-model", BROKEN_IMAGE, 3),
    });
    const off = await validate(world, root, baseSha, { compatibility: "false" });
    assert.equal(off.code, 0, off.stdout);
    assert.deepEqual(off.outputs, { valid: "true", errors: "0", warnings: "0" }, "no compatibility outputs");
    assert.match(
      off.summary,
      /^Compatibility test on demo data: turned off \(input compatibility: false\)\.$/m,
    );
  });
});
