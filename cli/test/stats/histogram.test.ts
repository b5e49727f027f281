import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { histogramAuc, type ScoreHistogram } from "../../src/stats/histogram.ts";
import { metaAnalysis } from "../../src/stats/meta.ts";
import { mulberry32 } from "../../src/stats/random.ts";
import { inverseLogit, toScale } from "../../src/stats/scale.ts";
import { ASAH_S100B, ASAH_WFNS, asahSites } from "../helpers/asah.ts";

/** Mann–Whitney over every positive–negative pair, ties counting ½. */
function bruteForceAuc(positives: readonly number[], negatives: readonly number[]): number {
  let wins = 0;
  for (const p of positives) for (const n of negatives) wins += p > n ? 1 : p === n ? 0.5 : 0;
  return wins / (positives.length * negatives.length);
}

const BINS = 10;
const binOf = (score: number): number => Math.min(BINS - 1, Math.floor(score * BINS));

function histogramOf(positives: readonly number[], negatives: readonly number[]): ScoreHistogram {
  const positive = new Array<number>(BINS).fill(0);
  const negative = new Array<number>(BINS).fill(0);
  for (const s of positives) positive[binOf(s)] = (positive[binOf(s)] as number) + 1;
  for (const s of negatives) negative[binOf(s)] = (negative[binOf(s)] as number) + 1;
  return { positive, negative };
}

/** Scores of one site: positives skewed high, negatives skewed low, `shift` moves both. */
function siteScores(seed: number, nPositive: number, nNegative: number, shift: number) {
  const random = mulberry32(seed);
  const clamp = (x: number) => Math.min(0.999999, Math.max(0, x));
  return {
    positives: Array.from({ length: nPositive }, () => clamp(Math.sqrt(random()) * 0.8 + shift)),
    negatives: Array.from({ length: nNegative }, () => clamp(random() ** 2 * 0.8 + shift)),
  };
}

describe("histogramAuc", () => {
  test("a hand-checkable case", () => {
    // Positives: 1 in bin 1, 2 in bin 2; negatives: 2 in bin 0, 1 in bin 1.
    // Bin-1 positive beats 2 negatives and ties 1 (2.5); each bin-2 positive beats all 3 (6).
    const r = histogramAuc({ positive: [0, 1, 2], negative: [2, 1, 0] });
    assert.ok(r.ok);
    assert.equal(r.estimate, 8.5 / 9);
    assert.equal(r.n_positive, 3);
    assert.equal(r.n_negative, 3);
  });

  test("equals a brute-force Mann–Whitney on the binned scores that produced it", () => {
    const { positives, negatives } = siteScores(7, 300, 500, 0.1);
    const h = histogramOf(positives, negatives);
    const r = histogramAuc(h);
    assert.ok(r.ok);
    assert.ok(Math.abs(r.estimate - bruteForceAuc(positives.map(binOf), negatives.map(binOf))) < 1e-12);
    // Against the raw scores, binning can only move pairs that share a bin, by ½ each at most.
    const sharedPairs = h.positive.reduce((acc, p, bin) => acc + p * (h.negative[bin] as number), 0);
    const bound = sharedPairs / (2 * positives.length * negatives.length);
    const raw = bruteForceAuc(positives, negatives);
    assert.ok(Math.abs(r.estimate - raw) <= bound, `${r.estimate} vs raw ${raw}, bound ${bound}`);
    assert.ok(r.se !== null && r.se > 0);
  });

  test("a histogram without one of the classes has no AUC", () => {
    const r = histogramAuc({ positive: [0, 0], negative: [3, 4] });
    assert.deepEqual(r, { ok: false, error: "AUC needs both classes; got 0 positive and 7 negative cases" });
  });
});

describe("histogramAuc: DeLong's SE as pROC's, aSAH split into three sites", () => {
  // for (s in c("a","b","c")) { d <- aSAH[site == s, ]
  //   r <- roc(d$outcome, as.numeric(d[[pred]]), levels=c("Good","Poor"), direction="<")
  //   auc(r); sqrt(var(r, method="delong")) }
  const expected = {
    s100b: [
      [0.7113095238, 0.0927649669],
      [0.7514204545, 0.0897319195],
      [0.7377622378, 0.0913906022],
    ],
    // WFNS grades 1–5: nearly every pair is tied
    wfns: [
      [0.8348214286, 0.0662128143],
      [0.8210227273, 0.0682370357],
      [0.8234265734, 0.0717073112],
    ],
  };
  for (const [name, scores] of [
    ["s100b", ASAH_S100B],
    ["wfns", ASAH_WFNS],
  ] as const) {
    test(`${name}: each site's AUC and DeLong SE`, () => {
      asahSites(scores).forEach((h, i) => {
        const r = histogramAuc(h);
        assert.ok(r.ok);
        const [auc, se] = expected[name][i] as [number, number];
        assert.ok(Math.abs(r.estimate - auc) < 1e-9, `${r.estimate} vs ${auc}`);
        assert.ok(r.se !== null && Math.abs(r.se - se) < 1e-9, `${r.se} vs ${se}`);
      });
    });
  }

  test("the site AUCs pooled on the logit scale match metafor (τ² = 0)", () => {
    // yi <- qlogis(auc); vi <- var / (auc (1 − auc))²
    // res <- rma(yi, vi, method="REML", test="adhoc"); predict(res, transf=transf.ilogit)
    // s100b: est 1.00968194 (0.73295790), ci 0.46203701–0.89766164, tau2 0, q 0.10018116,
    //        tau2 ci 0–0.21004903, I² ci 0–48.95189337
    const sites = asahSites(ASAH_S100B).map((h, i) => {
      const r = histogramAuc(h);
      assert.ok(r.ok && r.se !== null);
      return { site: `s${i}`, ...toScale("logit", { value: r.estimate, se: r.se }) };
    });
    const r = metaAnalysis(sites);
    assert.ok(r.ok);
    const near = (a: number | null | undefined, b: number) =>
      assert.ok(a !== null && a !== undefined && Math.abs(a - b) < 1e-4, `${a} vs ${b}`);
    near(r.estimate, 1.00968194);
    near(inverseLogit(r.estimate), 0.7329579);
    near(inverseLogit(r.ci_low), 0.46203701);
    near(inverseLogit(r.ci_high), 0.89766164);
    near(inverseLogit(r.pi_low as number), 0.46203701);
    near(r.tau2, 0);
    near(r.q, 0.10018116);
    near(r.tau2_ci?.[1], 0.21004903);
    near(r.i2_ci?.[1], 48.95189337);
  });
});

describe("histogramAuc edge cases", () => {
  test("all ties: AUC ½ and DeLong variance 0, as pROC", () => {
    // roc(c(0,0,1,1), c(1,1,1,1), direction="<"): auc 0.5, var(method="delong") 0
    const r = histogramAuc({ positive: [0, 2, 0], negative: [0, 2, 0] });
    assert.ok(r.ok);
    assert.equal(r.estimate, 0.5);
    assert.equal(r.se, 0);
  });

  test("one case of a class: an AUC, but no DeLong SE", () => {
    const r = histogramAuc({ positive: [0, 1], negative: [2, 1] });
    assert.ok(r.ok);
    assert.equal(r.estimate, 2.5 / 3);
    assert.equal(r.se, null);
  });

  test("an empty class and uneven or fractional bins are errors", () => {
    assert.deepEqual(histogramAuc({ positive: [0, 0], negative: [0, 0] }), {
      ok: false,
      error: "AUC needs both classes; got 0 positive and 0 negative cases",
    });
    assert.equal(histogramAuc({ positive: [1, 2], negative: [1] }).ok, false);
    assert.deepEqual(histogramAuc({ positive: [0.5, 2], negative: [1, 1] }), {
      ok: false,
      error: "histogram counts must be non-negative integers",
    });
  });
});
