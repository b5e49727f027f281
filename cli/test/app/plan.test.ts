import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { planSiteWork } from "../../src/app/plan.ts";
import { memoryLogger } from "../../src/base/logger.ts";
import { BENCHMARK } from "../helpers/fixtures.ts";
import { makeTree } from "../helpers/governance-tree.ts";

test("planSiteWork: a dataset not prepared here is blocked, with what to do; broken files are told to the logger", async () => {
  const root = await makeTree((files) => {
    files.set(`benchmarks/${BENCHMARK}/models/broken.yaml`, "schema: fedeval/model@1\nid: [not, a, slug]\n");
  });
  const logger = memoryLogger();
  const plan = await planSiteWork({
    site: "east-valley",
    root,
    cwd: root,
    env: { FEDEVAL_HOME: await mkdtemp(join(tmpdir(), "fedeval-home-")) },
    logger,
  });
  assert.equal(plan.site, "east-valley");
  assert.deepEqual(plan.triples, []);
  assert.deepEqual(
    plan.blocked.map((b) => [b.benchmark, b.dataset, b.models]),
    [[BENCHMARK, "east-valley-2026q4", 3]],
  );
  assert.match(plan.blocked[0]?.reason ?? "", /^not prepared in this workspace/);
  assert.match(logger.lines.join("\n"), /^warning: 1 file of the governance repository did not load/);
});
