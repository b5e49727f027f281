import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { histogramAuc, poolHistograms, type ScoreHistogram } from "../../src/stats/histogram.ts";
import { mulberry32 } from "../../src/stats/random.ts";

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
    assert.ok(r.ci_low < r.estimate && r.estimate < r.ci_high);
  });

  test("Hanley & McNeil (1982): their rating example and standard error", () => {
    // Source: Hanley JA, McNeil BJ. The meaning and use of the area under a receiver operating
    // characteristic (ROC) curve. Radiology 1982;143:29–36, Table I: CT ratings 1–5 of 58 normal
    // (33, 6, 6, 11, 2) and 51 abnormal (3, 2, 2, 11, 33) cases; published area 0.893 with
    // SE 0.032 (printed to three decimals, so compared at that precision).
    const r = histogramAuc({ positive: [3, 2, 2, 11, 33], negative: [33, 6, 6, 11, 2] });
    assert.ok(r.ok);
    // Pairs: 3·16.5 + 2·36 + 2·42 + 11·50.5 + 33·57 = 2642 of 51·58 = 2958.
    assert.equal(r.estimate, 2642 / 2958);
    assert.equal(Math.round(r.estimate * 1000) / 1000, 0.893);
    assert.equal(Math.round(r.se * 1000) / 1000, 0.032);
    // Their equation (2) with A, n_A = 51 abnormal, n_N = 58 normal.
    const a = 2642 / 2958;
    const q1 = a / (2 - a);
    const q2 = (2 * a * a) / (1 + a);
    const se = Math.sqrt((a * (1 - a) + 50 * (q1 - a * a) + 57 * (q2 - a * a)) / (51 * 58));
    assert.ok(Math.abs(r.se - se) < 1e-12);
    assert.ok(Math.abs(r.ci_low - (a - 1.959964 * se)) < 1e-6);
  });

  test("a histogram without one of the classes has no AUC", () => {
    const r = histogramAuc({ positive: [0, 0], negative: [3, 4] });
    assert.deepEqual(r, { ok: false, error: "AUC needs both classes; got 0 positive and 7 negative cases" });
  });
});

describe("poolHistograms", () => {
  test("the pooled AUC is the AUC of all cases together; per-site AUCs come alongside", () => {
    const scores = [siteScores(1, 40, 400, 0), siteScores(2, 200, 60, 0.15), siteScores(3, 90, 90, 0.05)];
    const sites = scores.map((s, i) => ({
      site: `site-${i}`,
      histogram: histogramOf(s.positives, s.negatives),
    }));
    const r = poolHistograms(sites, { bins: BINS });
    assert.ok(r.ok);
    assert.equal(r.method, "histogram");
    assert.equal(r.k, 3);
    const allPositives = scores.flatMap((s) => s.positives).map(binOf);
    const allNegatives = scores.flatMap((s) => s.negatives).map(binOf);
    assert.ok(Math.abs(r.estimate - bruteForceAuc(allPositives, allNegatives)) < 1e-12);
    assert.equal(r.n_positive, 330);
    assert.equal(r.n_negative, 550);
    scores.forEach((s, i) => {
      const site = r.per_site[i];
      assert.ok(site?.ok);
      assert.equal(site.site, `site-${i}`);
      assert.ok(
        Math.abs(site.estimate - bruteForceAuc(s.positives.map(binOf), s.negatives.map(binOf))) < 1e-12,
      );
    });
  });

  test("is not the average of site AUCs", () => {
    // Both sites separate their own cases perfectly (AUC 1), but site b's negatives score above
    // site a's positives: over all cases together the AUC is 0.75.
    const r = poolHistograms([
      { site: "a", histogram: { positive: [0, 1, 0, 0], negative: [1, 0, 0, 0] } },
      { site: "b", histogram: { positive: [0, 0, 0, 1], negative: [0, 0, 1, 0] } },
    ]);
    assert.ok(r.ok);
    assert.equal(r.estimate, 0.75);
    assert.deepEqual(
      r.per_site.map((s) => s.ok && s.estimate),
      [1, 1],
    );
  });

  test("a one-class site has its own error but still counts in the pool", () => {
    const r = poolHistograms([
      { site: "a", histogram: { positive: [0, 2], negative: [0, 0] } },
      { site: "b", histogram: { positive: [1, 0], negative: [1, 1] } },
    ]);
    assert.ok(r.ok);
    assert.equal(r.n_positive, 3);
    assert.equal(r.per_site[0]?.ok, false);
    assert.equal(r.per_site[1]?.ok, true);
  });

  test("histograms on different bins cannot be pooled", () => {
    const mismatch = poolHistograms(
      [
        { site: "a", histogram: { positive: [1, 2], negative: [2, 1] } },
        { site: "b", histogram: { positive: [1, 2, 3], negative: [3, 2, 1] } },
      ],
      { bins: 2 },
    );
    assert.deepEqual(mismatch, { ok: false, error: "site b: histogram has 3 bins, expected 2" });
    const uneven = poolHistograms([{ site: "c", histogram: { positive: [1, 2], negative: [1] } }]);
    assert.equal(uneven.ok, false);
    const fractional = poolHistograms([{ site: "d", histogram: { positive: [0.5, 2], negative: [1, 1] } }]);
    assert.deepEqual(fractional, {
      ok: false,
      error: "site d: histogram counts must be non-negative integers",
    });
    assert.deepEqual(poolHistograms([]), { ok: false, error: "no site reported a histogram" });
  });
});
