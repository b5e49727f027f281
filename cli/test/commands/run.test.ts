/**
 * `fedeval run` as a site runs it: the bundled CLI (built here with the options of scripts/build.mjs)
 * in a subprocess, interrupted by Ctrl-C, killed outright, and started twice at once.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { build } from "esbuild";
import { cliBuildOptions } from "../../../scripts/build-options.ts";
import { buildDemoImages } from "../../src/app/demo/demo-images.ts";
import { buildNodeImage } from "../../src/containers/node-image.ts";
import { containersLabelled, dockerForTests } from "../helpers/docker.ts";
import type { TestImages } from "../helpers/fixtures.ts";
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
} from "../site/site-fixture.ts";

const { docker, skip } = await dockerForTests();

describe("fedeval run through the CLI", { skip }, () => {
  let cli: string;
  let images: TestImages;
  let slow: string;
  let prepared: PreparedDataset;

  before(async () => {
    const out = await mkdtemp(join(tmpdir(), "fedeval-cli-test-"));
    await build(cliBuildOptions({ outdir: out }));
    cli = join(out, "cli.js");
    images = await buildDemoImages(docker, "fedeval-test-cli");
    slow = await buildNodeImage(docker, {
      tag: "fedeval-test-cli/slow:dev",
      files: { "/app/model.mjs": SLOW_MODEL },
      entrypoint: [],
    });
    prepared = await prepareDemoDataset(images, docker);
  });
  after(async () => {
    if (cli) await rm(join(cli, ".."), { recursive: true, force: true });
    if (images) await removeImages(docker, [...demoImageRefs(images), slow]);
  });

  /** effusion-net-v2 (fast, first), slow-model (hangs), reference-logistic (fast, last). */
  const world = () =>
    siteWorld(images, prepared, (files) => {
      onlyModels(["effusion-net-v2", "reference-logistic"])(files);
      addModel(files, "slow-model", slow, 7);
    });

  function start(w: SiteWorld, ...args: string[]) {
    const child = spawn(process.execPath, [cli, "run", "--site", SITE, "--timeout", "2m", ...args], {
      cwd: w.root,
      env: w.env,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => {
      stdout += c;
    });
    child.stderr.on("data", (c) => {
      stderr += c;
    });
    const exited = once(child, "exit").then(([code, signal]) => ({ code, signal, stdout, stderr }));
    return { child, exited, output: () => stdout + stderr };
  }

  /** Waits until the slow model's container runs. */
  async function slowModelRunning(w: SiteWorld, child: ChildProcess) {
    for (let i = 0; i < 600; i++) {
      const running = await docker.listContainers({
        filters: { label: [`fedeval.workspace=${w.site.root}`], ancestor: [slow] },
      });
      if (running.length) return running[0]?.Labels["fedeval.run"] as string;
      assert.equal(child.exitCode, null, "fedeval exited before the slow model started");
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error("the slow model never started");
  }

  test("Ctrl-C kills and removes the running container, keeps what finished, exits 130; a second run at the same time is refused", async () => {
    const w = await world();
    const first = start(w);
    const runId = await slowModelRunning(w, first.child);

    const second = await start(w).exited;
    assert.equal(second.code, 1);
    assert.match(
      second.stderr,
      /^fedeval: site workspace .* is in use by another fedeval run \(pid \d+, started /m,
    );

    first.child.kill("SIGINT");
    const { code, stdout, stderr } = await first.exited;
    assert.equal(code, 130, stdout + stderr);
    assert.match(stderr, /interrupting: stopping the running container/);
    assert.match(stdout, /\[1\/3\] ok {6}\S+ \/ effusion-net-v2 on north-2026: result pending as /);
    assert.match(
      stdout,
      /\[2\/3\] interrupted \S+ \/ slow-model on north-2026: interrupted: no result was written/,
    );
    assert.match(stdout, /3 triples: 1 ok, 0 partial, 0 failed, 2 interrupted/);
    assert.deepEqual(await containersLabelled(docker, `fedeval.run=${runId}`), []);
    assert.deepEqual(await readdir(w.site.outbox), [
      `pleural-effusion-demo--${DATASET}--effusion-net-v2--${runId}.json`,
    ]);
    assert.ok(!(await readdir(w.site.root)).includes("lock"), "the lock is released");
  });

  test("killed outright: the next run takes over the lock, removes the left container, and runs only what is missing", async () => {
    const w = await world();
    const first = start(w);
    const runId = await slowModelRunning(w, first.child);
    const pid = first.child.pid;
    first.child.kill("SIGKILL");
    await first.exited;
    assert.equal(
      (await containersLabelled(docker, `fedeval.run=${runId}`)).length,
      1,
      "a SIGKILL leaves the container",
    );
    assert.equal(JSON.parse(await readFile(w.site.lock, "utf8")).pid, pid);
    for (const name of await readdir(w.site.outbox))
      assert.match(name, /^pleural-effusion-demo--north-2026--effusion-net-v2--.*\.json$/);

    const again = await start(w, "--model", "reference-logistic").exited;
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stderr, /removed 1 container\(s\) left by a run that was killed/);
    assert.match(
      again.stderr,
      new RegExp(`took over the lock of an earlier run that is gone \\(pid ${pid}\\)`),
    );
    assert.match(again.stdout, /^\[1\/1\] ok {6}\S+ \/ reference-logistic on north-2026: /m);
    assert.deepEqual(await containersLabelled(docker, `fedeval.run=${runId}`), []);

    const plan = spawn(process.execPath, [cli, "plan", "--site", SITE, "--json"], {
      cwd: w.root,
      env: w.env,
    });
    let text = "";
    plan.stdout.on("data", (c) => {
      text += c;
    });
    assert.deepEqual(await once(plan, "exit"), [0, null]);
    const json = JSON.parse(text);
    assert.deepEqual(
      json.triples.map((t: { model: string }) => t.model),
      ["slow-model"],
    );
    assert.deepEqual(json.waiting.map((t: { model: string }) => t.model).sort(), [
      "effusion-net-v2",
      "reference-logistic",
    ]);
  });
});
