/**
 * `fedeval run --executor slurm` on a real single-node Slurm cluster started here (helpers/slurm.ts),
 * each job running the built CLI (`fedeval run --triple ID --json`) with the Docker runner: the same
 * results as a local run, one line per job; a job Slurm kills is reported in one line and left for
 * the next run; cancelling the run cancels its jobs and writes nothing.
 */
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { buildDemoImages } from "../../src/app/demo/demo-images.ts";
import { bufferIO } from "../../src/commands/io.ts";
import { runCommand } from "../../src/commands/run.ts";
import { buildNodeImage } from "../../src/containers/node-image.ts";
import { Outbox } from "../../src/results/outbox.ts";
import type { PlannedTriple } from "../../src/site/plan.ts";
import { sbatchArgs } from "../../src/site/slurm.ts";
import { containersLabelled, dockerForTests } from "../helpers/docker.ts";
import type { TestImages } from "../helpers/fixtures.ts";
import { type SlurmCluster, slurmSkip, startSlurm } from "../helpers/slurm.ts";
import {
  addModel,
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

const { docker, skip: noDocker } = await dockerForTests();
const skip = noDocker || slurmSkip();
const BIN = resolve(import.meta.dirname, "../../../bin/fedeval.js");

describe("fedeval run --executor slurm", { skip }, () => {
  let images: TestImages;
  let slow: string;
  let prepared: PreparedDataset;
  let slurm: SlurmCluster;

  before(async () => {
    slurm = await startSlurm();
    images = await buildDemoImages(docker, "fedeval-test-slurm");
    slow = await buildNodeImage(docker, {
      tag: "fedeval-test-slurm/slow-model:dev",
      files: { "/app/model.mjs": SLOW_MODEL },
      entrypoint: [],
    });
    prepared = await prepareDemoDataset(images, docker);
  });
  after(async () => {
    await slurm?.stop();
    if (images) await removeImages(docker, [...demoImageRefs(images), slow]);
  });

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
        fedeval: [process.execPath, BIN],
        exec: slurm.exec,
        ...extra,
      },
      io,
    );
    return { code, out: io.out.join(""), err: io.err.join("") };
  }
  const comparable = async (w: SiteWorld) =>
    (await new Outbox(w.site.outbox).list())
      .map(({ result: { provenance, ...rest } }) => ({
        ...rest,
        images: provenance.images,
        dataset_hash: provenance.dataset_hash,
        isolation: provenance.isolation,
      }))
      .sort((x, y) => x.model.localeCompare(y.model));

  test("one job per triple, followed with --wait: the same results as a local run, one line per job", async () => {
    const [local, cluster] = await Promise.all([siteWorld(images, prepared), siteWorld(images, prepared)]);
    const here = await run(local);
    assert.equal(here.code, 0, here.out + here.err);
    const there = await run(cluster, { executor: "slurm", slurm: { wait: true } });
    assert.equal(there.code, 0, there.out + there.err);
    const lines = there.out.split("\n").filter((l) => l.startsWith("["));
    assert.equal(lines.length, 3, there.out);
    for (const l of lines) assert.match(l, /^\[\d\/3\] ok {6}.*: result pending as \S+ \(Slurm job \d+\)$/);
    assert.match(there.out, /3 triples: 3 ok, 0 partial, 0 failed/);
    const expected = await comparable(local);
    assert.equal(expected.length, 3);
    assert.deepEqual(await comparable(cluster), expected);
    assert.deepEqual(await containersLabelled(docker, `fedeval.workspace=${cluster.site.root}`), []);

    // resumed: nothing left to submit
    const again = await run(cluster, { executor: "slurm", slurm: { wait: true } });
    assert.equal(again.code, 0);
    assert.match(again.out, /nothing to run \(3 waiting in the outbox/);
  });

  test("a job Slurm kills is reported in one line and left for the next run; cancelling the run cancels its jobs", async () => {
    const w = await siteWorld(images, prepared, (files) => {
      onlyModels([])(files);
      addModel(files, "slow-a", slow, 1);
      addModel(files, "slow-b", slow, 2);
    });
    const jobs = async () =>
      (await slurm.exec("squeue", ["--noheader", "--format=%i|%j|%T"]))
        .split("\n")
        .filter((l) => l.includes("fedeval:") && l.includes("slow-"));
    const controller = new AbortController();
    const running = run(w, { executor: "slurm", slurm: { wait: true }, signal: controller.signal });
    // once both jobs run: Slurm kills one (as for a time limit or a node failure), then the run is cancelled
    let seen: string[] = [];
    for (let i = 0; i < 600; i++) {
      seen = await jobs();
      if (seen.length === 2 && seen.every((l) => l.endsWith("|RUNNING"))) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(seen.length, 2, `jobs: ${seen}`);
    const [killed, other] = seen.map((l) => l.split("|")[0] as string);
    await slurm.exec("scancel", [killed as string]);
    for (let i = 0; i < 100 && (await jobs()).some((l) => l.startsWith(`${killed}|`)); i++) {
      await new Promise((r) => setTimeout(r, 200));
    }
    controller.abort();
    const { code, out } = await running;
    assert.equal(code, 130, out);
    const lines = out.split("\n").filter((l) => l.startsWith("["));
    assert.equal(lines.length, 2, out);
    assert.ok(
      lines.some((l) =>
        new RegExp(
          `failed .*: Slurm job ${killed} was killed \\(CANCELLED\\): no result was written; the next run runs it again`,
        ).test(l),
      ),
      out,
    );
    assert.ok(
      lines.some((l) =>
        new RegExp(`interrupted .*: Slurm job ${other} cancelled with the run: no result was written`).test(
          l,
        ),
      ),
      out,
    );
    assert.deepEqual(await jobs(), []);
    assert.deepEqual(await new Outbox(w.site.outbox).list(), []);
    for (
      let i = 0;
      i < 100 && (await containersLabelled(docker, `fedeval.workspace=${w.site.root}`)).length;
      i++
    ) {
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.deepEqual(await containersLabelled(docker, `fedeval.workspace=${w.site.root}`), []);

    // both are planned again
    const plan = await run(w, { executor: "slurm" });
    assert.equal(plan.code, 0, plan.out + plan.err);
    assert.match(plan.out, /2 triples: 0 ok, 0 partial, 0 failed, 2 submitted to Slurm/);
    const submitted =
      plan.out.match(/submitted as Slurm job (\d+)/g)?.map((m) => m.split(" ").pop() as string) ?? [];
    assert.equal(submitted.length, 2);
    await slurm.exec("scancel", submitted);
  });
});

test("sbatchArgs: one job per triple, its output beside the run's logs, the site's FEDEVAL_HOME, GPUs Slurm allocates", () => {
  const triple = {
    benchmark: "b",
    dataset: "d",
    model: "m",
    reasons: [],
    inputs: {},
  } as unknown as PlannedTriple;
  const command = [
    "/usr/bin/node",
    "/opt/fedeval/bin/fedeval.js",
    "run",
    "--site",
    "s",
    "--root",
    "/shared/gov's",
  ];
  const args = sbatchArgs(
    {
      command,
      home: "/shared/home",
      partition: "gpu",
      gpusPerJob: 2,
      time: "2:00:00",
      wait: true,
      exec: async () => "",
    },
    triple,
    "/shared/home/sites/s/runs/r1",
  );
  assert.deepEqual(args, [
    "--parsable",
    "--job-name=fedeval:b--d--m",
    "--output=/shared/home/sites/s/runs/r1/b--d--m.slurm.json",
    "--error=/shared/home/sites/s/runs/r1/b--d--m.slurm.log",
    "--export=ALL,FEDEVAL_HOME=/shared/home",
    "--partition=gpu",
    "--gpus=2",
    "--time=2:00:00",
    `--wrap=/usr/bin/node /opt/fedeval/bin/fedeval.js run --site s --root '/shared/gov'\\''s' --triple b/d/m --json --gpus "device=$SLURM_JOB_GPUS"`,
  ]);
});
