import assert from "node:assert/strict";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { UserError } from "../../src/base/errors.ts";
import { bufferIO } from "../../src/commands/io.ts";
import { reportCommand } from "../../src/commands/report.ts";
import { commitAll } from "../helpers/git.ts";
import { testDataset } from "../helpers/governance-tree.ts";
import { BENCHMARK, makeBoardTree, result, resultFile, resultPath } from "./fixture.ts";

async function report(root: string, extra: { commit?: string; model?: string } = {}) {
  const out = join(await mkdtemp(join(tmpdir(), "fedeval-report-")), "evidence", "report.html");
  const io = bufferIO();
  const code = await reportCommand(
    {
      root,
      benchmark: BENCHMARK,
      model: extra.model ?? "shortcut-cnn",
      out,
      allowUnsigned: false,
      commit: extra.commit,
      cwd: process.cwd(),
    },
    io,
  );
  return { code, html: await readFile(out, "utf8"), io };
}

describe("fedeval report", async () => {
  const root = await makeBoardTree((files) => {
    files.set(
      resultPath("south-coast-2026q4", "shortcut-cnn"),
      resultFile(
        result({ model: "shortcut-cnn", dataset: testDataset("south-coast"), shift: 7, sign: false }),
      ),
    );
  });
  const head = commitAll(root, "governance");
  const { code, html, io } = await report(root);

  test("names the exact commit it was built from (git HEAD of the root)", () => {
    assert.equal(code, 0);
    assert.match(html, new RegExp(`built from governance commit <code>${head}</code>`));
    assert.doesNotMatch(html, /uncommitted changes/);
    assert.match(io.err.join(""), new RegExp(`commit ${head}`));
  });

  test("is self-contained: inline CSS, no external references of any kind", () => {
    assert.match(html, /<style>\n\/\* fedeval leaderboard[\s\S]*:root \{[\s\S]*<\/style>/);
    assert.doesNotMatch(html, /<link rel="stylesheet"/);
    assert.doesNotMatch(html, /https?:\/\//i);
    assert.doesNotMatch(html, /<script/i);
    assert.doesNotMatch(html, /\ssrc=/i);
    assert.doesNotMatch(html, /url\(/i);
    for (const [, href] of html.matchAll(/href="([^"]*)"/g))
      assert.ok(href?.startsWith("#") || href === "data:,", `href ${href}`);
  });

  test("holds the benchmark spec, every site's result with provenance and signature, pooled estimates, subgroups and drift", () => {
    assert.match(html, /<h2 id="h-benchmark">The benchmark<\/h2>/);
    assert.match(html, /Declared metrics and how each is pooled across sites/);
    for (const site of ["north-general", "east-valley"])
      assert.match(html, new RegExp(`<tr id="site-${site}">`));
    assert.equal((html.match(/<details class="prov">/g) ?? []).length, 2);
    assert.match(html, /verified \(key demo-1\)/);
    assert.match(html, /<h2 id="h-pooled">Pooled estimates<\/h2>/);
    assert.match(
      html,
      /<svg class="forest"[^>]*role="img"><title>AUROC \(auc\) of Shortcut CNN per site, and pooled over all 2<\/title><desc>/,
    );
    assert.match(html, /<h2 id="h-subgroups">Subgroups<\/h2>/);
    assert.match(html, /class="suppressed">suppressed</);
    assert.match(html, /<h2 id="h-drift">Drift<\/h2>/);
    // each method explained in a sentence, and each declared metric's pooling
    assert.match(html, /<h2 id="h-methods">How the numbers are computed<\/h2>/);
    for (const term of [
      "Pooled value \\(random effects\\)",
      "95% confidence interval \\(CI\\)",
      "95% prediction interval \\(PI\\)",
      "τ² and I²",
      "Ranks",
      "AUROC \\(auc\\)",
      "Sensitivity at 0.5 \\(sensitivity\\)",
    ])
      assert.match(html, new RegExp(`<dt>${term}</dt><dd>[^<]{60,}</dd>`));
    assert.match(html, /patients of different hospitals are never compared with each other/);
    // the unsigned south-coast result is named among the results left out
    assert.match(
      html,
      /Results left out[\s\S]*south-coast-2026q4\/shortcut-cnn\.yaml<\/code><\/th><td>unsigned/,
    );
  });

  test("marks a build from a dirty work tree", async () => {
    const dirty = await makeBoardTree();
    commitAll(dirty, "governance");
    const path = join(dirty, resultPath("north-general-2026q4", "reference-logistic"));
    const { writeFile } = await import("node:fs/promises");
    await writeFile(path, `${await readFile(path, "utf8")}# edited\n`);
    assert.match((await report(dirty)).html, /with uncommitted changes to governance files/);
  });

  test("refuses to write a report that cannot name its commit; --commit names it", async () => {
    const loose = await makeBoardTree();
    await assert.rejects(report(loose), (e) => e instanceof UserError && /--commit SHA/.test(e.message));
    const given = await report(loose, { commit: "0123456789abcdef0123456789abcdef01234567" });
    assert.match(given.html, /commit <code>0123456789abcdef0123456789abcdef01234567<\/code>/);
    await assert.rejects(report(loose, { commit: "HEAD~1" }), /not a commit id/);
  });

  test("an unknown model is a user error naming the models", async () => {
    await assert.rejects(
      report(root, { model: "no-such-model" }),
      (e) => e instanceof UserError && /models: effusion-net-v2/.test(e.message),
    );
  });
});
