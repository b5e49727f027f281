/**
 * A metric's value against the counts or histogram beside it (results/metric-agreement.ts): the
 * bound for histograms is checked on random scores, the rule in validation is in
 * validate-repository.test.ts, and here also what `fedeval run` does with a disagreeing value.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { MetricSpec, MetricValue } from "../../src/governance/types.ts";
import { readEvaluatorOutput } from "../../src/results/build-result.ts";
import { metricDisagreement, tiedPairShare } from "../../src/results/metric-agreement.ts";
import { histogramAuc } from "../../src/stats/histogram.ts";
import { mulberry32 } from "../../src/stats/random.ts";
import { testBenchmark } from "../helpers/fixtures.ts";
import { TEST_IMAGES } from "../helpers/governance-tree.ts";

const auc: MetricSpec = { id: "auc", group: "accuracy", direction: "higher", pooling: "histogram" };
const sensitivity: MetricSpec = {
  id: "sensitivity",
  group: "accuracy",
  direction: "higher",
  pooling: "counts",
};
const counts = { tp: 90, fp: 30, tn: 250, fn: 30 };

/** The exact Mann–Whitney AUC (ties ½) of scores, and their histogram on `bins` equal bins of [0, 1]. */
function scored(positive: number[], negative: number[], bins: number) {
  let pairs = 0;
  for (const p of positive) for (const n of negative) pairs += p > n ? 1 : p === n ? 0.5 : 0;
  const bin = (s: number) => Math.min(bins - 1, Math.floor(s * bins));
  const histogram = { bins, positive: Array(bins).fill(0), negative: Array(bins).fill(0) };
  for (const p of positive) histogram.positive[bin(p)]++;
  for (const n of negative) histogram.negative[bin(n)]++;
  return { exact: pairs / (positive.length * negative.length), histogram };
}

describe("a metric's value against its own counts and histogram", () => {
  it("counts the share of positive–negative pairs tied in a bin", () => {
    assert.equal(tiedPairShare({ positive: [1, 1], negative: [1, 1] }), 0.5);
    assert.equal(tiedPairShare({ positive: [2, 0], negative: [0, 3] }), 0);
    assert.equal(tiedPairShare({ positive: [0, 0], negative: [1, 1] }), 0);
  });

  it("bounds the exact AUC by the histogram's AUC ± half the tied share, on random scores", () => {
    const next = mulberry32(20261122); // seeded, so a failure can be replayed
    for (let trial = 0; trial < 300; trial++) {
      const shift = next() * 0.6;
      const positive = Array.from({ length: 5 + Math.floor(next() * 60) }, () => Math.min(1, next() + shift));
      const negative = Array.from({ length: 5 + Math.floor(next() * 60) }, () => next() * (1 - shift / 2));
      const bins = 2 + Math.floor(next() * 30);
      const { exact, histogram } = scored(positive, negative, bins);
      const r = histogramAuc(histogram);
      assert.ok(r.ok);
      const bound = tiedPairShare(histogram) / 2;
      assert.ok(
        Math.abs(exact - r.estimate) <= bound + 1e-12,
        `trial ${trial}: ${exact} vs ${r.estimate} ± ${bound}`,
      );
      assert.equal(
        metricDisagreement(auc, { value: exact, histogram }, positive.length + negative.length),
        undefined,
      );
    }
  });

  it("accepts a proportion equal to its counts, to two decimals", () => {
    for (const value of [0.75, 0.754, 0.746])
      assert.equal(metricDisagreement(sensitivity, { value, counts }, 400), undefined, String(value));
  });

  it("refuses a proportion its counts do not give, a histogram AUC outside the bound, and more cases than reported", () => {
    assert.deepEqual(metricDisagreement(sensitivity, { value: 0.76, counts }, 400), {
      reason: "the value disagrees with the sensitivity of its confusion counts",
      detail: "sensitivity = 0.76, but its counts give 0.75",
    });
    const histogram = { bins: 2, positive: [10, 30], negative: [30, 10] };
    // AUC 0.75 ± 0.1875: [0.5625, 0.9375]
    assert.equal(metricDisagreement(auc, { value: 0.57, histogram }, 80), undefined);
    assert.deepEqual(metricDisagreement(auc, { value: 0.55, histogram }, 80), {
      reason: "the value disagrees with the AUC of its score histogram",
      detail: "auc = 0.55, but its histogram gives 0.75 ± 0.1875 (pairs tied in a bin)",
    });
    assert.equal(
      metricDisagreement(sensitivity, { value: 0.75, counts }, 399)?.detail,
      "sensitivity counts hold 400 cases, more than the 399 reported",
    );
    assert.equal(
      metricDisagreement(auc, { value: 0.8, histogram, n: 79 }, 1000)?.detail,
      "auc histogram holds 80 cases, more than the 79 reported",
    );
    // nothing to compare with: a metric the counts do not define, a null value
    const ece: MetricSpec = { id: "ece", group: "calibration", direction: "lower", pooling: "counts" };
    assert.equal(metricDisagreement(ece, { value: 0.9, counts }, 400), undefined);
    assert.equal(
      metricDisagreement(sensitivity, { value: null, reason: "undefined" } as MetricValue, 400),
      undefined,
    );
  });

  it("fedeval run drops a disagreeing value, saying why without any number", () => {
    const output = readEvaluatorOutput(
      testBenchmark(TEST_IMAGES),
      {
        n: 400,
        metrics: {
          auc: {
            value: 0.996,
            histogram: {
              bins: 20,
              positive: [...Array(19).fill(0), 120],
              negative: [280, ...Array(19).fill(0)],
            },
          },
          sensitivity: { value: 0.9, counts },
          specificity: { value: 0.8928571, counts },
          ece: { value: 0.05, se: 0.01 },
        },
      },
      400,
    );
    assert.deepEqual(output.metrics.auc?.value, 0.996, "a perfect separation agrees with 0.996 (1, rounded)");
    assert.deepEqual(output.metrics.sensitivity, { value: null, reason: "evaluator-error" });
    assert.deepEqual(output.metrics.specificity?.value, 0.8929, "rounded to 4 significant digits");
    assert.deepEqual(output.dropped, [
      {
        path: "metrics.sensitivity",
        why: "the value disagrees with the sensitivity of its confusion counts",
      },
    ]);
    assert.doesNotMatch(JSON.stringify(output.dropped), /\d/, "no value in what the site's logs show");
  });
});
