/**
 * The end-to-end test: `fedeval demo` plays every role through the real CLI (committee, three
 * hospitals, two vendors), with the real Docker Engine, git remotes on disk and the site policy,
 * and the leaderboard it ends with must show what the demo data were made to show.
 */
import assert from "node:assert/strict";
import { access, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { DEMO_MODELS, DEMO_SITES } from "../../src/app/demo/demo-governance.ts";
import { runDemo } from "../../src/app/demo/run-demo.ts";
import { UserError } from "../../src/base/errors.ts";
import { memoryLogger } from "../../src/base/logger.ts";
import type { Leaderboard, ModelBoard } from "../../src/leaderboard/types.ts";
import { dockerForTests } from "../helpers/docker.ts";

const { docker, skip } = await dockerForTests();

function checkBoard(board: Leaderboard, isolation: "docker-none-ro" | "none") {
  assert.equal(board.benchmarks.length, 1);
  const b = board.benchmarks[0] as Leaderboard["benchmarks"][number];
  assert.equal(b.results.included, 9);
  assert.equal(b.results.unverified, 0);
  assert.deepEqual(Object.values(b.results.excluded), Array(Object.keys(b.results.excluded).length).fill(0));
  const model = (id: string) => b.models.find((m) => m.id === id) as ModelBoard;

  // every site × model cell, each signed by its site and verified
  for (const m of DEMO_MODELS) {
    const cells = model(m.id).cells;
    assert.deepEqual(cells.map((c) => c.site).sort(), DEMO_SITES.map((s) => s.id).sort(), m.id);
    for (const c of cells) {
      assert.equal(c.signature, "verified", `${m.id} at ${c.site}`);
      assert.equal(c.isolation, isolation);
      assert.equal(c.approval?.policy, "site-policy");
    }
  }

  // the good model ranks first; the shortcut model last
  assert.equal(model("effusion-net-v2").rank?.rank, 1);
  assert.equal(model("shortcut-cnn").rank?.rank, 3);

  // the acquisition-shifted site is every model's worst site on the primary metric
  for (const m of DEMO_MODELS) {
    const auc = model(m.id).metrics.auc;
    assert.equal(auc?.spread?.worst?.site, "east-valley", m.id);
  }

  // every pooled metric has a prediction interval (3 sites), and no interval leaves [0, 1]
  for (const m of DEMO_MODELS) {
    for (const [id, metric] of Object.entries(model(m.id).metrics)) {
      const p = metric.pooled;
      assert.ok(p && p.pi_low !== null && p.pi_high !== null, `${m.id} ${id}: prediction interval`);
      for (const x of [p.ci_low, p.ci_high, p.pi_low, p.pi_high])
        assert.ok(x !== null && x >= 0 && x <= 1, `${m.id} ${id}: ${x}`);
    }
  }

  // the shortcut model's subgroup gap on sex is visible, and far larger than the good model's
  const sexGap = (id: string) =>
    model(id).subgroups.find((s) => s.metric === "auc" && s.stratum === "sex")?.largest?.gap ?? 0;
  assert.ok(sexGap("shortcut-cnn") > 0.15, `shortcut-cnn sex gap ${sexGap("shortcut-cnn")}`);
  assert.ok(sexGap("shortcut-cnn") > 4 * sexGap("effusion-net-v2"));
}

describe("fedeval demo, end to end", { skip }, () => {
  it("with Docker: every role through the CLI, a leaderboard that shows the shift and the bias", async () => {
    const dir = join(await mkdtemp(join(tmpdir(), "fedeval-e2e-")), "demo");
    const logger = memoryLogger();
    const outcome = await runDemo({ dir, runner: "docker", logger, docker });
    assert.equal(outcome.runner, "docker");
    checkBoard(outcome.leaderboard as Leaderboard, "docker-none-ro");
    await access(join(outcome.pages, "index.html"));
    assert.equal(logger.lines.filter((l) => /^\[\d\/9\]/.test(l)).length, 9);
  });
});

describe("fedeval demo, process runner", () => {
  it("runs without Docker and says so in every result", async () => {
    const dir = join(await mkdtemp(join(tmpdir(), "fedeval-e2e-")), "demo");
    const logger = memoryLogger();
    const outcome = await runDemo({ dir, runner: "process", logger });
    checkBoard(outcome.leaderboard as Leaderboard, "none");
    assert.match(logger.lines[0] ?? "", /host processes \(runner: process, isolation: none/);
    // the demo's pages show the prediction intervals, labelled
    const page = await readFile(
      join(outcome.pages, "benchmarks", "pleural-effusion-demo", "index.html"),
      "utf8",
    );
    assert.match(page, /<span class="pi">95% PI \d\.\d{3}–\d\.\d{3}<\/span>/);
    assert.match(page, /<line class="pi"/);
  });

  it("refuses a folder it did not make", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fedeval-e2e-"));
    await writeFile(join(dir, "thesis.tex"), "mine\n");
    await assert.rejects(runDemo({ dir, runner: "process", logger: memoryLogger() }), UserError);
  });
});
