/**
 * What a medical reader sees (issue #15): every page shows estimate, 95% CI and 95% prediction
 * interval with their labels; no interval on any page leaves its metric's range, even for an
 * ECE near 0 whose Wald interval would go below it; a subgroup cell under the benchmark's
 * minimum reaches no page, JSON or CSV whatever its result file says.
 */
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { bufferIO } from "../../src/commands/io.ts";
import { leaderboardBuildCommand } from "../../src/commands/leaderboard-build.ts";
import type { Result } from "../../src/governance/types.ts";
import type { Leaderboard } from "../../src/leaderboard/types.ts";
import { signResult } from "../../src/results/signature.ts";
import { SITE_KEY_ID, siteKey } from "../helpers/fixtures.ts";
import { testDataset } from "../helpers/governance-tree.ts";
import { makeBoardTree, result, resultFile, resultPath, SHIFT } from "./fixture.ts";

/** Every file under `dir`, by its path relative to it. */
async function readAll(dir: string, prefix = ""): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const path = join(prefix, entry.name);
    if (entry.isDirectory()) for (const [p, t] of await readAll(dir, path)) files.set(p, t);
    else if (/\.(html|csv|json)$/.test(entry.name)) files.set(path, await readFile(join(dir, path), "utf8"));
  }
  return files;
}

/** A signed result of the fixture, changed before signing. */
function changed(model: string, site: string, change: (r: Result) => void): [string, string] {
  const dataset = testDataset(site);
  const shift = (SHIFT[model] as number[])[["north-general", "east-valley", "south-coast"].indexOf(site)];
  const r = result({ model, dataset, shift: shift as number, sign: false });
  change(r);
  return [resultPath(dataset.id, model), resultFile(signResult(r, SITE_KEY_ID, siteKey(site).privateKey))];
}

describe("pages for medical readers", async () => {
  const root = await makeBoardTree((files) => {
    // an ECE near 0 with wide site intervals: on its own scale the pooled interval would go below 0
    for (const [i, site] of ["north-general", "east-valley", "south-coast"].entries()) {
      const [path, text] = changed("reference-logistic", site, (r) => {
        r.metrics.ece = { value: [0.01, 0.02, 0.09][i] as number, se: [0.03, 0.04, 0.05][i] as number };
        if (site === "east-valley") {
          // a subgroup cell of 5 cases under the benchmark's minimum of 20, with a value
          const cell = r.subgroups?.find((c) => c.cell === "F");
          assert.ok(cell && !cell.suppressed);
          cell.n = 5;
          cell.metrics = {
            auc: { value: 0.123456 },
            sensitivity: { value: 0.2, counts: { tp: 1, fn: 4, tn: 0, fp: 0 } },
          };
        }
      });
      files.set(path, text);
    }
  });
  const out = join(await mkdtemp(join(tmpdir(), "fedeval-lb-")), "site");
  const code = await leaderboardBuildCommand(
    { root, out, allowUnsigned: false, cwd: process.cwd() },
    bufferIO(),
  );
  assert.equal(code, 0);
  const files = await readAll(out);
  const json = JSON.parse(files.get("leaderboard.json") as string) as Leaderboard;
  const pages = [...files].filter(([p]) => p.endsWith(".html"));

  test("no interval on any page leaves [0, 1] (every metric of this benchmark is on [0, 1])", () => {
    const ece = json.benchmarks[0]?.models.find((m) => m.id === "reference-logistic")?.metrics.ece?.pooled;
    assert.ok(ece && ece.scale === "logit");
    assert.ok((ece.ci_low as number) > 0 && (ece.pi_low as number) > 0, `${ece.ci_low} ${ece.pi_low}`);
    let intervals = 0;
    for (const [path, html] of pages) {
      // table intervals (class ci / pi) and the forest plots' value labels
      const texts = [...html.matchAll(/class="(?:ci|pi|v)"[^>]*>([^<]*)</g)].map((m) => m[1] as string);
      for (const text of texts) {
        for (const [, low, high] of text.matchAll(/(-?\d+(?:\.\d+)?)–(-?\d+(?:\.\d+)?)/g)) {
          intervals++;
          assert.ok(Number(low) >= 0 && Number(high) <= 1 && Number(low) <= Number(high), `${path}: ${text}`);
        }
      }
    }
    assert.ok(intervals > 50, `${intervals} intervals checked`);
  });

  test("the benchmark and model pages show the prediction interval with its label", () => {
    const benchmark = files.get(join("benchmarks", json.benchmarks[0]?.id as string, "index.html")) ?? "";
    const page = [...files].find(([p]) => p.includes("reference-logistic") && p.endsWith(".html"))?.[1] ?? "";
    for (const html of [benchmark, page]) {
      assert.match(html, /95% PI/);
      assert.match(html, /<line class="pi"/);
    }
    assert.match(benchmark, /95% CI \d\.\d+–\d\.\d+<\/span> <span class="pi">95% PI \d\.\d+–\d\.\d+</);
    assert.match(page, /Prediction \(a new site\)/);
    assert.match(page, /<th scope="col">95% PI \(a new site\)<\/th>/);
    assert.match(benchmark, /95% PI: where the value at a new hospital like these can be expected/);
    assert.match(
      benchmark,
      /a model joins the tie group of the best-ranked model whose rank interval overlaps its own/,
    );
  });

  test("a subgroup cell under the minimum reaches no page, JSON or CSV", () => {
    const board = json.benchmarks[0]?.models
      .find((m) => m.id === "reference-logistic")
      ?.subgroups.find((s) => s.metric === "auc" && s.stratum === "sex");
    const site = board?.sites.find((s) => s.site === "east-valley");
    assert.deepEqual(
      site?.cells.find((c) => c.cell === "F"),
      { cell: "F", n: null, value: null, suppressed: true },
    );
    for (const [path, text] of files) {
      assert.ok(!text.includes("0.123456") && !text.includes("0.123"), `${path} shows the small cell's AUC`);
      assert.ok(!text.includes("(n=5)"), `${path} shows the small cell's n`);
    }
    const csv = files.get(join("benchmarks", json.benchmarks[0]?.id as string, "subgroups.csv")) ?? "";
    assert.ok(csv.length > 0);
    assert.ok(!/reference-logistic,[^\n]*east-valley,[^\n]*,F,5,/.test(csv));
  });
});
