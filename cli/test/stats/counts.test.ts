import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { poolCounts, proportionEstimate, wilsonInterval } from "../../src/stats/counts.ts";

function near(actual: number | undefined, expected: number, tolerance = 1e-4): void {
  assert.ok(
    actual !== undefined && Math.abs(actual - expected) <= tolerance,
    `${actual} is not ${expected} ± ${tolerance}`,
  );
}

describe("wilsonInterval", () => {
  test("matches Newcombe (1998) Table I, method 3 (score interval without continuity correction)", () => {
    // Source: Newcombe RG. Two-sided confidence intervals for the single proportion: comparison
    // of seven methods. Stat Med 1998;17:857–872, Table I: 81/263 → 0.2553 to 0.3662,
    // 15/148 → 0.0624 to 0.1605, 0/20 → 0.0000 to 0.1611, 1/29 → 0.0061 to 0.1718.
    const published: [number, number, number, number][] = [
      [81, 263, 0.2553, 0.3662],
      [15, 148, 0.0624, 0.1605],
      [0, 20, 0, 0.1611],
      [1, 29, 0.0061, 0.1718],
    ];
    for (const [successes, total, low, high] of published) {
      const w = wilsonInterval(successes, total);
      near(w.ci_low, low);
      near(w.ci_high, high);
      assert.equal(w.estimate, successes / total);
    }
  });

  test("0/10 and 10/10: the interval reaches the boundary exactly and mirrors", () => {
    // At 0/n the Wilson upper limit is z²/(n + z²) = 3.841459/13.841459 = 0.2775.
    const none = wilsonInterval(0, 10);
    assert.equal(none.ci_low, 0);
    near(none.ci_high, 1.959964 ** 2 / (10 + 1.959964 ** 2), 1e-6);
    near(none.ci_high, 0.2775);
    const all = wilsonInterval(10, 10);
    assert.equal(all.ci_high, 1);
    near(all.ci_low, 1 - none.ci_high, 1e-12);
    assert.equal(all.estimate, 1);
  });

  test("impossible counts are a programming error", () => {
    assert.throws(() => wilsonInterval(3, 0), RangeError);
    assert.throws(() => wilsonInterval(5, 4), RangeError);
    assert.throws(() => wilsonInterval(1.5, 4), RangeError);
  });
});

describe("poolCounts", () => {
  const sites = [
    { site: "big", counts: { tp: 90, fn: 10, tn: 850, fp: 50 } },
    { site: "small", counts: { tp: 5, fn: 5, tn: 15, fp: 5 } },
  ];

  test("pools exactly by summing counts, not by averaging site proportions", () => {
    const r = poolCounts(sites);
    assert.ok(r.ok);
    assert.equal(r.method, "counts");
    assert.equal(r.k, 2);
    assert.deepEqual(r.totals, { tp: 95, fp: 55, tn: 865, fn: 15 });
    // 95/110, whereas the mean of the site sensitivities would be (0.9 + 0.5) / 2 = 0.7.
    assert.deepEqual(r.pooled.sensitivity, wilsonInterval(95, 110));
    assert.deepEqual(r.pooled.specificity, wilsonInterval(865, 920));
    assert.deepEqual(r.pooled.accuracy, wilsonInterval(960, 1030));
    assert.deepEqual(r.pooled.ppv, wilsonInterval(95, 150));
    assert.deepEqual(r.pooled.npv, wilsonInterval(865, 880));
    assert.equal(r.per_site[1]?.site, "small");
    assert.deepEqual(r.per_site[1]?.proportions.sensitivity, wilsonInterval(5, 10));
    assert.deepEqual(r.per_site[0]?.proportions.specificity, wilsonInterval(850, 900));
  });

  test("a proportion is pooled only when every site reported the counts it needs", () => {
    const r = poolCounts([
      { site: "a", counts: { tp: 359, fn: 53 } },
      { site: "b", counts: { tp: 40, fn: 10, tn: 100, fp: 7 } },
    ]);
    assert.ok(r.ok);
    assert.deepEqual(r.totals, { tp: 399, fn: 63 });
    assert.deepEqual(r.pooled.sensitivity, wilsonInterval(399, 462));
    assert.equal(r.pooled.specificity, null);
    assert.equal(r.pooled.accuracy, null);
    assert.equal(r.per_site[0]?.proportions.ppv, null);
    assert.deepEqual(r.per_site[1]?.proportions.ppv, wilsonInterval(40, 47));
  });

  test("an empty denominator gives null, not 0 or NaN", () => {
    const r = poolCounts([{ site: "a", counts: { tp: 0, fn: 0, tn: 12, fp: 3 } }]);
    assert.ok(r.ok);
    assert.equal(r.pooled.sensitivity, null);
    assert.deepEqual(r.pooled.specificity, wilsonInterval(12, 15));
  });

  test("invalid counts and no sites are error results", () => {
    assert.deepEqual(poolCounts([]), { ok: false, error: "no site reported counts" });
    assert.deepEqual(poolCounts([{ site: "x", counts: { tp: -1, fn: 3 } }]), {
      ok: false,
      error: "site x: count tp must be a non-negative integer",
    });
  });
});

describe("proportionEstimate", () => {
  test("is the estimate poolCounts gives for one site, and null where it gives none", () => {
    for (const counts of [
      { tp: 90, fp: 30, tn: 250, fn: 30 },
      { tp: 0, fp: 0, tn: 12, fn: 0 },
      { tp: 7, fn: 3 },
    ]) {
      const pooled = poolCounts([{ site: "s", counts }]);
      assert.ok(pooled.ok);
      for (const name of ["sensitivity", "specificity", "accuracy", "ppv", "npv"] as const)
        assert.equal(proportionEstimate(counts, name), pooled.pooled[name]?.estimate ?? null, name);
    }
  });
});
