import assert from "node:assert/strict";
import { mkdir, stat, writeFile } from "node:fs/promises";
import { test } from "node:test";
import { runSitePlan } from "../../src/app/run.ts";
import { memoryLogger } from "../../src/base/logger.ts";
import { workspace } from "../../src/base/workspace.ts";
import { governanceFileText } from "../../src/governance/governance-file.ts";
import { preparedPaths } from "../../src/site/prepare.ts";
import { BENCHMARK, TEST_MODELS } from "../helpers/fixtures.ts";
import { commitAll, testEnv } from "../helpers/git.ts";
import { makeTree, testDataset } from "../helpers/governance-tree.ts";

const SITE = "north-general";

test("runSitePlan counts the outcomes; a dataset changed since its registration gives no outbox entry", async () => {
  const root = await makeTree((files) => {
    for (const path of [...files.keys()]) if (path.includes("/results/")) files.delete(path);
  });
  commitAll(root, "governance");
  const env = await testEnv();
  // prepared here, but empty: its hash is not the registered one
  const dataset = testDataset(SITE);
  const p = preparedPaths(workspace(env).site(SITE), BENCHMARK, dataset.id);
  await mkdir(p.data, { recursive: true });
  await mkdir(p.labels, { recursive: true });
  await writeFile(p.association, governanceFileText("dataset", { ...dataset, status: "proposed" }));

  const logger = memoryLogger();
  const ended: string[] = [];
  const report = await runSitePlan({
    site: SITE,
    root,
    cwd: root,
    env,
    runner: "process",
    logger,
    onTriple: (o, i, total) => ended.push(`${i + 1}/${total} ${o.model}`),
  });
  const models = TEST_MODELS.length;
  assert.deepEqual(report.counts, { ok: 0, partial: 0, failed: models, interrupted: 0, submitted: 0 });
  assert.deepEqual(report.entries, []);
  assert.equal(report.interrupted, false);
  assert.equal(ended.length, models);
  for (const o of report.outcomes)
    assert.match(o.message, /the prepared data changed since it was registered/);
  assert.match(logger.lines.join("\n"), /warning: the process runner gives models no isolation/);
});

test("runSitePlan refuses a site the governance repository does not list, and writes nothing for it", async () => {
  const root = await makeTree();
  commitAll(root, "governance");
  const env = await testEnv();
  await assert.rejects(
    runSitePlan({ site: "north-genral", root, cwd: root, env, runner: "process", logger: memoryLogger() }),
    { message: 'site "north-genral" is not in the governance repository (sites/north-genral.yaml)' },
  );
  await assert.rejects(stat(workspace(env).site("north-genral").root), { code: "ENOENT" });
});
