import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { proportionCounts, proportionEstimate } from "../../src/stats/counts.ts";

describe("proportionCounts and proportionEstimate", () => {
  test("each proportion's numerator and denominator", () => {
    const counts = { tp: 90, fp: 30, tn: 250, fn: 30 };
    assert.deepEqual(proportionCounts(counts, "sensitivity"), { successes: 90, total: 120 });
    assert.deepEqual(proportionCounts(counts, "specificity"), { successes: 250, total: 280 });
    assert.deepEqual(proportionCounts(counts, "accuracy"), { successes: 340, total: 400 });
    assert.deepEqual(proportionCounts(counts, "ppv"), { successes: 90, total: 120 });
    assert.deepEqual(proportionCounts(counts, "npv"), { successes: 250, total: 280 });
    assert.equal(proportionEstimate(counts, "accuracy"), 0.85);
  });

  test("a missing count gives null; an empty denominator gives null, not 0 or NaN", () => {
    assert.equal(proportionCounts({ tp: 7, fn: 3 }, "specificity"), null);
    assert.equal(proportionEstimate({ tp: 7, fn: 3 }, "sensitivity"), 0.7);
    assert.deepEqual(proportionCounts({ tp: 0, fp: 0, tn: 12, fn: 0 }, "ppv"), { successes: 0, total: 0 });
    assert.equal(proportionEstimate({ tp: 0, fp: 0, tn: 12, fn: 0 }, "ppv"), null);
  });
});
