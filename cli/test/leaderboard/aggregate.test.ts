import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parse } from "yaml";
import { memoryLogger } from "../../src/base/logger.ts";
import { toYaml } from "../../src/formats/yaml-write.ts";
import type { Model, Result } from "../../src/governance/types.ts";
import { collectLeaderboard } from "../../src/leaderboard/build.ts";
import type { BenchmarkBoard, ModelBoard } from "../../src/leaderboard/types.ts";
import { histogramAuc } from "../../src/stats/histogram.ts";
import { metaAnalysis, metaEstimate, type SiteEstimate } from "../../src/stats/meta.ts";
import { bootstrapRanks } from "../../src/stats/ranks.ts";
import { inverseLogit, logitProportion, toScale } from "../../src/stats/scale.ts";
import { validateRepository } from "../../src/validate/validate-repository.ts";
import { testDataset } from "../helpers/governance-tree.ts";
import {
  BENCHMARK,
  counts,
  ece as eceOf,
  histogram,
  laterDataset,
  MODELS,
  makeBoardTree,
  result,
  resultFile,
  resultPath,
  SHIFT,
  SITES,
} from "./fixture.ts";

async function board(root: string, allowUnsigned = false): Promise<BenchmarkBoard> {
  const { leaderboard } = await collectLeaderboard({ root, allowUnsigned, logger: memoryLogger() });
  assert.equal(leaderboard.benchmarks.length, 1);
  return leaderboard.benchmarks[0] as BenchmarkBoard;
}

function model(b: BenchmarkBoard, id: string): ModelBoard {
  const m = b.models.find((x) => x.id === id);
  assert.ok(m, `model ${id} on the board`);
  return m;
}

const shift = (m: string, site: number) => (SHIFT[m] as number[])[site] as number;

function editModel(files: Map<string, string>, id: string, change: (m: Model) => void): void {
  const path = `benchmarks/${BENCHMARK}/models/${id}.yaml`;
  const data = parse(files.get(path) as string) as Model;
  change(data);
  files.set(path, toYaml(data));
}

describe("aggregation of the demo tree", async () => {
  const root = await makeBoardTree();
  const b = await board(root);

  test("the fixture is a valid governance tree (so the leaderboard reads what validate accepts)", async () => {
    const report = await validateRepository({ root });
    assert.deepEqual(report.diagnostics, []);
  });

  test("counts every result, leaves nothing out, lists the sites", () => {
    assert.equal(b.results.included, 9);
    assert.equal(b.results.unverified, 0);
    assert.deepEqual(Object.values(b.results.excluded), [0, 0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(
      b.sites.map((s) => s.id),
      [...SITES].sort(),
    );
    assert.equal(b.primary_metric, "auc");
    assert.deepEqual(b.comparable_versions, [1]);
  });

  /** Random effects on the logit scale, back-transformed: what every pooled field must equal. */
  function logitPool(sites: SiteEstimate[]) {
    const r = metaAnalysis(sites);
    assert.ok(r.ok);
    const back = (x: number | null) => (x === null ? null : inverseLogit(x));
    return {
      estimate: inverseLogit(r.estimate),
      ci_low: back(r.ci_low),
      ci_high: back(r.ci_high),
      pi_low: back(r.pi_low),
      pi_high: back(r.pi_high),
      tau2: r.tau2,
      tau2_ci: r.tau2_ci,
      i2: r.i2,
      i2_ci: r.i2_ci,
      q: r.q,
    };
  }
  const fields = { method: "random-effects", estimator: "REML", scale: "logit", interval: "hksj" } as const;

  /** Each site's AUC with DeLong's SE from its histogram, on the logit scale. */
  const logitAucs = (id: string) =>
    SITES.map((site, s) => {
      const one = histogramAuc(histogram(shift(id, s)));
      assert.ok(one.ok && one.se !== null);
      return { site, ...toScale("logit", { value: one.estimate, se: one.se }) };
    });

  test("pooled AUC, sensitivity and ECE equal random effects on the logit scale of the same inputs", () => {
    for (const [i, id] of MODELS.entries()) {
      const m = model(b, id);
      // never the AUC of the summed histograms: each site's own AUC with DeLong's SE
      assert.deepEqual(m.metrics.auc?.pooled, { ...fields, ...logitPool(logitAucs(id)), k: 3, n: 1200 });
      // sensitivity: escalc(measure = "PLO") of each site's tp of tp + fn (½ added to 120/120)
      const sensitivity = SITES.map((site, s) => {
        const c = counts(shift(id, s));
        const r = logitProportion(c.tp, c.tp + c.fn);
        assert.ok(!("ok" in r));
        return { site, ...r };
      });
      assert.deepEqual(m.metrics.sensitivity?.pooled, {
        ...fields,
        ...logitPool(sensitivity),
        k: 3,
        n: 1200,
      });
      const ece = SITES.map((site, s) => ({ site, ...toScale("logit", eceOf(i, s)) }));
      const pooledEce = m.metrics.ece?.pooled;
      assert.deepEqual(pooledEce, { ...fields, ...logitPool(ece), k: 3, n: 1200 });
      assert.ok((pooledEce?.tau2 as number) > 0, "the fixture has between-site heterogeneity");
      for (const p of [m.metrics.auc?.pooled, m.metrics.sensitivity?.pooled, pooledEce]) {
        for (const x of [p?.ci_low, p?.ci_high, p?.pi_low, p?.pi_high])
          assert.ok(typeof x === "number" && x > 0 && x < 1, `${id}: ${x} inside (0, 1)`);
      }
    }
    // shortcut-cnn's AUC drops at one site (shift 2 against 6 and 7); reference-logistic's barely moves
    assert.ok((model(b, "shortcut-cnn").metrics.auc?.pooled?.i2 as number) > 75);
    assert.equal(model(b, "reference-logistic").metrics.auc?.pooled?.i2, 0);
  });

  test("per-site values carry n, dataset, the site's own interval and verification", () => {
    const sites = model(b, "shortcut-cnn").metrics.auc?.sites ?? [];
    assert.deepEqual(
      sites.map((s) => [s.site, s.dataset, s.n, s.verified, s.ci_reported]),
      [...SITES].sort().map((site) => [site, `${site}-2026q4`, 400, true, false]),
    );
    for (const s of sites)
      assert.ok((s.ci_low as number) < (s.value as number) && (s.value as number) < (s.ci_high as number));
    const cell = model(b, "shortcut-cnn").cells.find((c) => c.site === "north-general");
    assert.ok(cell);
    assert.equal(cell.file, resultPath("north-general-2026q4", "shortcut-cnn"));
    assert.equal(cell.signature, "verified");
    assert.equal(cell.key, "demo-1");
    assert.equal(cell.dataset_hash, testDataset("north-general").hash);
  });

  test("worst site and spread: shortcut-cnn is worst at east-valley (its positives start at bin 2 there)", () => {
    const spread = model(b, "shortcut-cnn").metrics.auc?.spread;
    assert.equal(spread?.worst.site, "east-valley");
    const values = model(b, "shortcut-cnn").metrics.auc?.sites.map((s) => s.value as number) ?? [];
    assert.equal(spread?.worst.value, Math.min(...values));
    assert.equal(spread?.range, Math.max(...values) - Math.min(...values));
  });

  test("rank intervals: the seeded bootstrap of sites and of each site's AUC on the logit scale", () => {
    const inputs = MODELS.map((id) => ({ model: id, sites: new Map(logitAucs(id).map((e) => [e.site, e])) }));
    const expected = bootstrapRanks(inputs, {
      pool: (draw, normal) => {
        const estimate = metaEstimate(
          draw.map((d) => d.value + d.se * normal()),
          draw.map((d) => d.se ** 2),
        );
        return estimate === null ? null : inverseLogit(estimate);
      },
      direction: "higher",
      seed: 20261121,
      replicates: 1000,
    });
    assert.deepEqual(
      b.models.map((m) => [m.id, m.rank?.rank, m.rank?.low, m.rank?.high, m.rank?.tie_group]),
      expected.map((r) => [r.model, r.rank, r.rank_low, r.rank_high, r.group]),
    );
    assert.equal(b.models[0]?.id, "effusion-net-v2");
    assert.deepEqual(
      b.ranking.cohorts.map((c) => [c.id, c.main, c.ranked, c.sites.length]),
      [["c1", true, true, 3]],
    );
    for (const m of b.models) assert.deepEqual(m.coverage, { sites: 3, of: 3, full: true, cohort: "c1" });
  });

  test("subgroups: suppressed cells are listed as suppressed, never as zero; AUC cells are not averaged", () => {
    const m = model(b, "effusion-net-v2");
    const vendor = m.subgroups.find((s) => s.metric === "auc" && s.stratum === "scanner_vendor");
    assert.ok(vendor);
    for (const s of vendor.sites) {
      assert.deepEqual(s.suppressed, ["vendor-b"]);
      assert.equal(s.gap, null, "one visible cell: no gap");
      assert.deepEqual(
        s.cells.find((c) => c.cell === "vendor-b"),
        { cell: "vendor-b", n: null, value: null, suppressed: true },
      );
    }
    const sex = m.subgroups.find((s) => s.metric === "auc" && s.stratum === "sex");
    assert.ok(sex);
    assert.equal(sex.pooled, null);
    assert.match(sex.pooled_note ?? "", /no standard error \(reported, or DeLong's/);
    // effusion-net-v2 is the demo's second model: F is 0.04 below the site AUC, M 0.01 above
    assert.equal(MODELS.indexOf("effusion-net-v2"), 1);
    assert.ok(Math.abs((sex.largest?.gap as number) - 0.05) < 1e-12);
    // sensitivity cells carry counts: F 42/60 and M 48/60 at every site, so they pool to 0.7 and 0.8
    const sens = m.subgroups.find((s) => s.metric === "sensitivity" && s.stratum === "sex");
    assert.ok(Math.abs((sens?.pooled?.lowest?.value as number) - 0.7) < 1e-12);
    assert.ok(Math.abs((sens?.pooled?.highest?.value as number) - 0.8) < 1e-12);
  });

  test("efficiency: case-weighted latency and the hardware per site", () => {
    const e = model(b, "reference-logistic").efficiency;
    // latency 20 + 10·site + the model's index (0 for the reference) at 400 cases each
    assert.equal(e.latency_ms_per_case?.estimate, (20 + 30 + 40) / 3);
    assert.deepEqual(e.hardware, [
      { cpu: "16 x Xeon", gpu: null, memory_gb: null, sites: 2 },
      { cpu: "16 x Xeon", gpu: "NVIDIA L4", memory_gb: null, sites: 1 },
    ]);
  });

  test("the same repository gives the same leaderboard", async () => {
    assert.deepEqual(await board(root), b);
  });
});

describe("results that do not verify", async () => {
  const tamper = (files: Map<string, string>) => {
    // changed after signing: the signature no longer matches the bytes
    const path = resultPath("east-valley-2026q4", "shortcut-cnn");
    const data = parse(files.get(path) as string) as Result;
    (data.metrics.auc as { value: number }).value = 0.99;
    files.set(path, resultFile(data));
    // never signed
    const unsigned = result({
      model: "reference-logistic",
      dataset: testDataset("south-coast"),
      shift: shift("reference-logistic", 2),
      sign: false,
    });
    files.set(resultPath("south-coast-2026q4", "reference-logistic"), resultFile(unsigned));
  };
  const root = await makeBoardTree(tamper);

  test("are left out and counted, each with its reason", async () => {
    const b = await board(root);
    assert.equal(b.results.included, 7);
    assert.equal(b.results.excluded.unsigned, 1);
    assert.equal(b.results.excluded["signature-invalid"], 1);
    assert.deepEqual(
      b.results.excluded_files.map((f) => [f.file, f.reason]),
      [
        [resultPath("east-valley-2026q4", "shortcut-cnn"), "signature-invalid"],
        [resultPath("south-coast-2026q4", "reference-logistic"), "unsigned"],
      ],
    );
    assert.equal(model(b, "shortcut-cnn").cells.length, 2);
    assert.ok(!model(b, "shortcut-cnn").metrics.auc?.sites.some((s) => s.site === "east-valley"));
  });

  test("models left with different sites are not ranked against each other, and say so", async () => {
    const b = await board(root);
    const full = model(b, "effusion-net-v2");
    assert.deepEqual(full.coverage, { sites: 3, of: 3, full: true, cohort: "c1" });
    for (const id of ["shortcut-cnn", "reference-logistic"]) {
      const m = model(b, id);
      assert.equal(m.ranked, false);
      assert.equal(m.rank, null);
      assert.equal(m.coverage.full, false);
      assert.match(m.note ?? "", /not ranked: no other model reports auc on the same 2 sites/);
    }
    assert.equal(b.ranking.cohorts.length, 3);
    assert.ok(b.ranking.cohorts.every((c) => !c.ranked));
  });

  test("two models missing the same site form a partial-coverage cohort ranked among themselves", async () => {
    const root2 = await makeBoardTree((files) => {
      files.delete(resultPath("south-coast-2026q4", "reference-logistic"));
      files.delete(resultPath("south-coast-2026q4", "shortcut-cnn"));
    });
    const b = await board(root2);
    const [c1, c2] = b.ranking.cohorts;
    assert.deepEqual([c1?.models.length, c1?.sites.length, c1?.ranked], [2, 2, true]);
    assert.deepEqual([c2?.models, c2?.ranked], [["effusion-net-v2"], false]);
    const m = model(b, "reference-logistic");
    assert.equal(m.rank?.cohort, "c1");
    assert.match(
      m.note ?? "",
      /partial coverage: 2 of 3 sites; ranked only among the 2 models with the same sites/,
    );
  });

  test("--allow-unsigned includes them, marked unverified", async () => {
    const b = await board(root, true);
    assert.equal(b.results.included, 9);
    assert.equal(b.results.unverified, 2);
    assert.deepEqual(Object.values(b.results.excluded), [0, 0, 0, 0, 0, 0, 0, 0]);
    const tampered = model(b, "shortcut-cnn").cells.find((c) => c.site === "east-valley");
    assert.deepEqual([tampered?.signature, tampered?.verified], ["invalid", false]);
    assert.match(tampered?.signature_detail ?? "", /changed after signing/);
    const unsigned = model(b, "reference-logistic").cells.find((c) => c.site === "south-coast");
    assert.deepEqual([unsigned?.signature, unsigned?.verified, unsigned?.key], ["unsigned", false, null]);
    assert.equal(
      model(b, "shortcut-cnn").metrics.auc?.sites.find((s) => s.site === "east-valley")?.verified,
      false,
    );
  });
});

describe("models and datasets that are not approved, versions", () => {
  test("a suspended model is shown, pooled, and never ranked", async () => {
    const root = await makeBoardTree((files) =>
      editModel(files, "effusion-net-v2", (m) => {
        m.status = "suspended";
      }),
    );
    const b = await board(root);
    const m = model(b, "effusion-net-v2");
    assert.deepEqual([m.status, m.ranked, m.rank], ["suspended", false, null]);
    assert.match(m.note ?? "", /suspended: shown for the record, not ranked/);
    assert.ok(m.metrics.auc?.pooled);
    assert.equal(b.models.at(-1)?.id, "effusion-net-v2", "listed after the approved models");
    assert.deepEqual(b.ranking.cohorts[0]?.models, ["reference-logistic", "shortcut-cnn"]);
    assert.equal(model(b, "reference-logistic").rank?.rank, 1);
  });

  test("results computed with what the repository no longer approves are left out as stale", async () => {
    const north = testDataset("north-general");
    const root = await makeBoardTree((files) => {
      editModel(files, "effusion-net-v2", (m) => {
        m.container.image = `sha256:${"1".repeat(64)}`;
      });
      const path = `benchmarks/${BENCHMARK}/datasets/${north.id}.yaml`;
      files.set(
        path,
        (files.get(path) as string).replace(north.hash, `fedeval-tree-v1:sha256:${"2".repeat(64)}`),
      );
    });
    const b = await board(root);
    // effusion-net-v2 at 3 sites, plus the two other models at north-general
    assert.deepEqual([b.results.included, b.results.excluded.stale], [4, 5]);
    const files = b.results.excluded_files.filter((f) => f.reason === "stale");
    assert.deepEqual(
      files.map((f) => [f.file.split("/").slice(-2).join("/"), f.detail]),
      [
        ["east-valley-2026q4/effusion-net-v2.yaml", "model image changed since it ran"],
        [
          "north-general-2026q4/effusion-net-v2.yaml",
          "model image changed, dataset hash changed since it ran",
        ],
        ["north-general-2026q4/reference-logistic.yaml", "dataset hash changed since it ran"],
        ["north-general-2026q4/shortcut-cnn.yaml", "dataset hash changed since it ran"],
        ["south-coast-2026q4/effusion-net-v2.yaml", "model image changed since it ran"],
      ],
    );
    assert.equal(model(b, "effusion-net-v2").metrics.auc?.pooled, null);
  });

  test("results of a version the benchmark does not declare comparable are left out", async () => {
    const root = await makeBoardTree((files) => {
      const path = `benchmarks/${BENCHMARK}/benchmark.yaml`;
      files.set(path, (files.get(path) as string).replace(/^version: 1$/m, "version: 2"));
    });
    const b = await board(root);
    assert.equal(b.results.included, 0);
    assert.equal(b.results.excluded["incomparable-version"], 9);
    const comparable = await makeBoardTree((files) => {
      const path = `benchmarks/${BENCHMARK}/benchmark.yaml`;
      files.set(
        path,
        (files.get(path) as string).replace(/^version: 1$/m, "version: 2\ncomparable_with:\n  - 1"),
      );
    });
    const c = await board(comparable);
    assert.deepEqual([c.results.included, c.comparable_versions], [9, [2, 1]]);
  });
});

describe("drift across a site's datasets", () => {
  test("the latest dataset's run is on the leaderboard, earlier runs feed drift and alerts", async () => {
    const later = laterDataset("north-general");
    const runs = MODELS.map((m) =>
      result({
        model: m,
        dataset: later,
        shift: m === "effusion-net-v2" ? 4 : shift(m, SITES.indexOf("north-general")),
        finishedAt: "2027-01-10T00:00:00Z",
      }),
    );
    const root = await makeBoardTree(undefined, { datasets: [later], results: runs });
    const b = await board(root);
    assert.equal(b.results.included, 9);
    assert.equal(b.results.earlier_runs, 3);
    const m = model(b, "effusion-net-v2");
    assert.equal(m.cells.find((c) => c.site === "north-general")?.dataset, later.id);
    assert.equal(b.drift.series.length, 3);
    assert.equal(b.drift.alerts.length, 1);
    const [alert] = b.drift.alerts;
    assert.equal(alert?.model, "effusion-net-v2");
    assert.equal(alert?.site, "north-general");
    assert.deepEqual([alert?.baseline.dataset, alert?.run.dataset], ["north-general-2026q4", later.id]);
    assert.equal(alert?.drop, (alert?.baseline.value as number) - (alert?.run.value as number));
    assert.ok((alert?.drop as number) > 0.05);
  });
});
