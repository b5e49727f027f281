import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import { UsageError, UserError } from "../../src/base/errors.ts";
import { driftCommand } from "../../src/commands/drift.ts";
import { bufferIO } from "../../src/commands/io.ts";
import type { DriftBoard } from "../../src/leaderboard/types.ts";
import { commitAll } from "../helpers/git.ts";
import { testDataset } from "../helpers/governance-tree.ts";
import { BENCHMARK, laterDataset, makeBoardTree, result, resultFile, resultPath, SHIFT } from "./fixture.ts";

async function drift(root: string, json = false) {
  const io = bufferIO();
  const code = await driftCommand(
    { root, benchmark: BENCHMARK, json, allowUnsigned: false, cwd: process.cwd() },
    io,
  );
  return { code, out: io.out.join(""), err: io.err.join("") };
}

const later = laterDataset("east-valley");
/** effusion-net-v2 on east-valley's newer dataset, positives starting at `shift` (8 before). */
const rerun = (shift: number) =>
  result({ model: "effusion-net-v2", dataset: later, shift, finishedAt: "2027-01-10T00:00:00Z" });

describe("fedeval drift", () => {
  test("exit 0 when no site has a second run", async () => {
    const r = await drift(await makeBoardTree());
    assert.equal(r.code, 0);
    assert.equal(r.out, "");
    assert.match(r.err, /no drift on auc beyond 0\.050 \(0 series/);
  });

  test("exit 0 when a later run drops by less than max_drop", async () => {
    assert.equal((SHIFT["effusion-net-v2"] as number[])[1], 8);
    const r = await drift(await makeBoardTree(undefined, { datasets: [later], results: [rerun(7)] }));
    assert.equal(r.code, 0, r.out);
    assert.match(r.err, /1 series with more than one run/);
  });

  test("exit 1 with an alert when a later run drops by more than max_drop", async () => {
    const r = await drift(await makeBoardTree(undefined, { datasets: [later], results: [rerun(3)] }));
    assert.equal(r.code, 1);
    assert.match(
      r.out,
      /^ALERT effusion-net-v2 at east-valley: auc 0\.\d{3} \(east-valley-2027q1 v1, 2027-01-10T00:00:00Z\) is 0\.\d{3} below its best earlier run 0\.\d{3} \(east-valley-2026q4 v1/,
    );
    assert.match(r.err, /1 drift alert on auc/);
  });

  test("--json prints the series and alerts", async () => {
    const r = await drift(await makeBoardTree(undefined, { datasets: [later], results: [rerun(3)] }), true);
    assert.equal(r.code, 1);
    const json = JSON.parse(r.out) as DriftBoard & { benchmark: string };
    assert.equal(json.benchmark, BENCHMARK);
    assert.equal(json.max_drop, 0.05);
    assert.equal(json.alerts.length, 1);
    assert.ok((json.alerts[0]?.drop as number) > 0.05);
    assert.deepEqual(
      json.series[0]?.runs.map((x) => x.dataset),
      ["east-valley-2026q4", "east-valley-2027q1"],
    );
  });

  test("finds earlier runs of the same dataset in git history", async () => {
    const root = await makeBoardTree();
    const first = commitAll(root, "first run");
    const path = resultPath("north-general-2026q4", "shortcut-cnn");
    // the site re-runs the model on the same dataset: the file is replaced, the old run lives in git
    await writeFile(
      join(root, path),
      resultFile(
        result({
          model: "shortcut-cnn",
          dataset: testDataset("north-general"),
          shift: 0,
          finishedAt: "2026-12-20T00:00:00Z",
        }),
      ),
    );
    commitAll(root, "second run");
    const r = await drift(root, true);
    assert.equal(r.code, 1, r.err);
    const json = JSON.parse(r.out) as DriftBoard;
    assert.deepEqual(
      json.alerts.map((a) => [a.model, a.site, a.baseline.commit, a.run.commit, a.run.file]),
      [["shortcut-cnn", "north-general", first, null, path]],
    );
  });

  test("an earlier version in git that does not verify is not a run", async () => {
    const root = await makeBoardTree();
    const path = resultPath("north-general-2026q4", "shortcut-cnn");
    // first committed version: unsigned, with a much better AUC than the later signed run
    await writeFile(
      join(root, path),
      resultFile(
        result({
          model: "shortcut-cnn",
          dataset: testDataset("north-general"),
          shift: 12,
          finishedAt: "2026-10-01T00:00:00Z",
          sign: false,
        }),
      ),
    );
    commitAll(root, "unsigned run");
    await writeFile(
      join(root, path),
      resultFile(result({ model: "shortcut-cnn", dataset: testDataset("north-general"), shift: 6 })),
    );
    commitAll(root, "signed run");
    const r = await drift(root);
    assert.equal(r.code, 0, r.out);
    assert.match(r.err, /0 series/);
  });

  test("a benchmark without a drift threshold is a usage error; an unknown benchmark a user error", async () => {
    const root = await makeBoardTree((files) => {
      const p = `benchmarks/${BENCHMARK}/benchmark.yaml`;
      files.set(p, (files.get(p) as string).replace(/^drift:\n(?: {2}.*\n)+/m, ""));
    });
    await assert.rejects(
      drift(root),
      (e) => e instanceof UsageError && /declares no drift threshold/.test(e.message),
    );
    const io = bufferIO();
    await assert.rejects(
      driftCommand({ root, benchmark: "nope", json: false, allowUnsigned: false, cwd: process.cwd() }, io),
      (e) => e instanceof UserError && /no benchmark "nope"/.test(e.message),
    );
  });

  test("through the CLI: exit 1 on an alert, 0 without, 2 when no threshold is declared", async () => {
    const cli = (root: string) =>
      spawnSync(
        process.execPath,
        ["--import", "tsx", "cli/src/main.ts", "drift", "--benchmark", BENCHMARK, root],
        { encoding: "utf8" },
      );
    const alert = cli(await makeBoardTree(undefined, { datasets: [later], results: [rerun(3)] }));
    assert.equal(alert.status, 1, alert.stderr);
    assert.match(alert.stdout, /^ALERT effusion-net-v2 at east-valley/);
    const calm = cli(await makeBoardTree());
    assert.equal(calm.status, 0, calm.stderr);
    const undeclared = cli(
      await makeBoardTree((files) => {
        const p = `benchmarks/${BENCHMARK}/benchmark.yaml`;
        files.set(p, (files.get(p) as string).replace(/^drift:\n(?: {2}.*\n)+/m, ""));
      }),
    );
    assert.equal(undeclared.status, 2);
    assert.match(undeclared.stderr, /^fedeval: benchmark pleural-effusion-demo declares no drift threshold/);
  });
});
