/**
 * `fedeval run --parallel N`: triples run at once (each model waits, up to 10 s, until another
 * one runs beside it, and records how many it saw), into one outbox under one lock, with a log per
 * triple; with `--gpus device=...` each triple running at once gets its own devices (recorded from
 * the requests the runner receives: there is no GPU here). Process runner; the Docker run is in
 * run.test.ts.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { demoProcessImages } from "../../src/app/demo/demo-images.ts";
import { UsageError } from "../../src/base/errors.ts";
import { silentLogger } from "../../src/base/logger.ts";
import { workspace } from "../../src/base/workspace.ts";
import { datasetPrepareCommand } from "../../src/commands/dataset-prepare.ts";
import { bufferIO } from "../../src/commands/io.ts";
import type { ContainerRunner, GpuRequest } from "../../src/containers/runner.ts";
import { loadGovernance } from "../../src/governance/loader.ts";
import { Outbox } from "../../src/results/outbox.ts";
import { readLocalDataset } from "../../src/site/prepare.ts";
import { gpuSlots, runSite } from "../../src/site/run.ts";
import { createRunner, saveProcessEntrypoints, siteLimits } from "../../src/site/runners.ts";
import { BENCHMARK } from "../helpers/fixtures.ts";
import { DATASET, demoRepository, rawExport, registerDataset, SITE } from "./site-fixture.ts";

/** Stands in front of a model: waits for a partner, records how many models ran at once, runs the model. */
const RENDEZVOUS = `import { appendFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
const [dir, ...command] = process.argv.slice(2);
const me = dir + "/" + process.pid;
writeFileSync(me, "");
let most = 0;
for (let waited = 0; waited < 10000 && most < 2; waited += 50) {
  most = Math.max(most, readdirSync(dir).length);
  await new Promise((r) => setTimeout(r, 50));
}
most = Math.max(most, readdirSync(dir).length);
appendFileSync(dir + ".seen", most + "\\n");
const run = spawnSync(command[0], command.slice(1), { stdio: "inherit" });
rmSync(me);
process.exit(run.status ?? 1);
`;

test("--parallel 2: two triples at once, one outbox, a log each, results in plan order, each with its own GPUs", async () => {
  const home = await mkdtemp(join(tmpdir(), "fedeval-home-"));
  const { images, entrypoints } = await demoProcessImages(join(home, "process-images"));
  const rendezvous = join(home, "rendezvous.mjs");
  const live = join(home, "live");
  await writeFile(rendezvous, RENDEZVOUS);
  await mkdir(live);
  await saveProcessEntrypoints(home, entrypoints);
  const root = await demoRepository(images);
  const env = { FEDEVAL_HOME: home, PATH: process.env.PATH };
  const prepare = bufferIO();
  const prepared = await datasetPrepareCommand(
    {
      benchmark: BENCHMARK,
      site: SITE,
      ...(await rawExport(SITE)),
      name: DATASET,
      root,
      runner: "process",
      cwd: root,
      env,
    },
    prepare,
  );
  assert.equal(prepared, 0, prepare.err.join(""));
  const site = workspace(env).site(SITE);
  const local = await readLocalDataset(site, BENCHMARK, DATASET);
  assert.ok(local);
  await registerDataset(root, local.association);
  // from now on (preparing ran the reference model), every model waits for a partner
  for (const ref of Object.values(images.models)) {
    entrypoints[ref] = [process.execPath, rendezvous, live, ...(entrypoints[ref] as string[])];
  }
  await saveProcessEntrypoints(home, entrypoints);

  // the real process runner, recording the GPUs each task was asked to run with
  const inner = await createRunner("process", { home, cwd: root, env });
  const requested: { log: string; task: string; gpus: GpuRequest | undefined }[] = [];
  const runner: ContainerRunner = {
    kind: inner.kind,
    isolation: inner.isolation,
    ensureImage: (ref, onProgress) => inner.ensureImage(ref, onProgress),
    runTask: (req) => {
      requested.push({ log: req.logFile, task: req.task.name, gpus: req.limits.gpus });
      return inner.runTask(req);
    },
  };
  const { index } = await loadGovernance(root);
  const ended: number[] = [];
  const report = await runSite({
    index,
    site: SITE,
    runner,
    limits: siteLimits({ gpus: "device=0,1,2" }),
    workspace: site,
    logger: silentLogger,
    parallel: 2,
    hardware: async () => ({ cpu: "test", memory_gb: 1 }),
    onTriple: (_, i) => ended.push(i),
  });

  assert.deepEqual(
    report.outcomes.map((o) => [o.model, o.status]),
    report.plan.triples.map((t) => [t.model, "ok"]),
  );
  assert.deepEqual(ended, [0, 1, 2]);
  const seen = (await readFile(`${live}.seen`, "utf8")).trim().split("\n").map(Number);
  assert.equal(seen.length, 3);
  assert.equal(Math.max(...seen), 2, `models running at once: ${seen}`);

  const entries = await new Outbox(site.outbox).list();
  assert.deepEqual(entries.map((e) => e.result.model).sort(), report.plan.triples.map((t) => t.model).sort());
  const logs = new Set(report.outcomes.map((o) => o.logFile));
  assert.equal(logs.size, 3);
  for (const log of logs) assert.match(await readFile(log, "utf8"), /infer/);

  // slot 0 has devices 0 and 2, slot 1 device 1; both tasks of a triple run on the same slot
  const byTriple = new Map<string, string[]>();
  for (const r of requested) {
    assert.ok(r.gpus && typeof r.gpus === "object", `${r.task} asked for ${JSON.stringify(r.gpus)}`);
    byTriple.set(r.log, [...(byTriple.get(r.log) ?? []), r.gpus.deviceIds.join(",")]);
  }
  assert.equal(byTriple.size, 3);
  for (const [log, devices] of byTriple) {
    assert.equal(devices.length, 2, log);
    assert.equal(devices[0], devices[1], `${log}: infer and evaluate on ${devices}`);
  }
  assert.deepEqual(new Set([...byTriple.values()].map((d) => d[0])), new Set(["0,2", "1"]));
});

test("gpuSlots: each slot its own devices; fewer devices than slots, or no whole number, is refused in one line", () => {
  const site = siteLimits({ gpus: "device=a,b,c,d" });
  assert.deepEqual(
    gpuSlots(site, 2).map((s) => s.limits.gpus),
    [{ deviceIds: ["a", "c"] }, { deviceIds: ["b", "d"] }],
  );
  assert.deepEqual(
    gpuSlots(site, 1).map((s) => s.limits.gpus),
    [{ deviceIds: ["a", "b", "c", "d"] }],
  );
  for (const shared of [siteLimits({ gpus: "all" }), siteLimits({ gpus: "2" }), siteLimits({})]) {
    const slots = gpuSlots(shared, 3);
    assert.equal(slots.length, 3);
    for (const s of slots) assert.deepEqual(s.limits.gpus, shared.limits.gpus);
  }
  assert.throws(
    () => gpuSlots(siteLimits({ gpus: "device=0,1" }), 3),
    (e: unknown) =>
      e instanceof UsageError &&
      e.message ===
        "--parallel 3 with --gpus device=0,1: each triple running at once needs its own GPU; list at least 3 devices or lower --parallel",
  );
  assert.throws(() => gpuSlots(site, 0), UsageError);
});
