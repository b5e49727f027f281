/**
 * The whole site flow without Docker: prepare, register, plan and run with the process runner, and
 * run again once the results were sent.
 * Its results say `isolation: none`, and the benchmark's isolation policy decides whether they count.
 */
import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { demoProcessImages } from "../../src/app/demo/demo-images.ts";
import { workspace } from "../../src/base/workspace.ts";
import { datasetPrepareCommand } from "../../src/commands/dataset-prepare.ts";
import { bufferIO } from "../../src/commands/io.ts";
import { runCommand } from "../../src/commands/run.ts";
import { Outbox } from "../../src/results/outbox.ts";
import { readLocalDataset } from "../../src/site/prepare.ts";
import { saveProcessEntrypoints } from "../../src/site/runners.ts";
import { BENCHMARK } from "../helpers/fixtures.ts";
import { DATASET, demoRepository, rawExport, registerDataset, SITE } from "./site-fixture.ts";

test("prepare and run with the process runner: results marked isolation none", async () => {
  const home = await mkdtemp(join(tmpdir(), "fedeval-home-"));
  const { images, entrypoints } = await demoProcessImages(join(home, "process-images"));
  await saveProcessEntrypoints(home, entrypoints);
  const root = await demoRepository(images);
  const env = { FEDEVAL_HOME: home, PATH: process.env.PATH };
  const prepare = bufferIO();
  const raw = await rawExport(SITE);
  const prepared = await datasetPrepareCommand(
    { benchmark: BENCHMARK, site: SITE, ...raw, name: DATASET, root, runner: "process", cwd: root, env },
    prepare,
  );
  assert.equal(prepared, 0, prepare.err.join(""));
  const site = workspace(env).site(SITE);
  const local = await readLocalDataset(site, BENCHMARK, DATASET);
  assert.ok(local);
  await registerDataset(root, local.association);

  const io = bufferIO();
  const code = await runCommand({ site: SITE, root, runner: "process", cwd: root, env }, io);
  assert.equal(code, 0, io.out.join("") + io.err.join(""));
  assert.match(io.err.join(""), /the process runner gives models no isolation/);
  assert.match(io.out.join(""), /3 triples: 3 ok, 0 partial, 0 failed/);
  const entries = await new Outbox(site.outbox).list();
  assert.deepEqual(
    entries.map((e) => [e.result.model, e.result.provenance.isolation, e.result.provenance.images.model]),
    [
      ["effusion-net-v2", "none", images.models["effusion-net-v2"]],
      ["reference-logistic", "none", images.models["reference-logistic"]],
      ["shortcut-cnn", "none", images.models["shortcut-cnn"]],
    ],
  );
  assert.ok(entries.every((e) => typeof e.result.metrics.auc?.value === "number"));

  // once submitted (moved to sent/ when the pull request exists), a run before the merge runs nothing
  for (const e of entries) await new Outbox(site.outbox).archive(e.id, "sent");
  const again = bufferIO();
  assert.equal(await runCommand({ site: SITE, root, runner: "process", cwd: root, env }, again), 0);
  assert.match(again.out.join(""), /nothing to run \(3 waiting in the outbox or for a merge, 0 up to date/);
});
