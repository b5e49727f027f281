import assert from "node:assert/strict";
import { test } from "node:test";
import { caseWeightedMean } from "../../src/stats/mean.ts";

test("case-weighted mean weighs each site by its cases, with the range across sites", () => {
  const r = caseWeightedMean([
    { site: "big", value: 0.9, n: 1000 },
    { site: "small", value: 0.5, n: 10 },
    { site: "mid", value: 0.7, n: 90 },
  ]);
  assert.ok(r.ok);
  assert.equal(r.method, "mean");
  // (900 + 5 + 63) / 1100, not the unweighted (0.9 + 0.5 + 0.7) / 3 = 0.7.
  assert.ok(Math.abs(r.estimate - 968 / 1100) < 1e-12);
  assert.equal(r.k, 3);
  assert.equal(r.n, 1100);
  assert.deepEqual(r.min, { site: "small", value: 0.5 });
  assert.deepEqual(r.max, { site: "big", value: 0.9 });
});

test("one site: its own value", () => {
  const r = caseWeightedMean([{ site: "a", value: 38.2, n: 1840 }]);
  assert.ok(r.ok);
  assert.equal(r.estimate, 38.2);
  assert.deepEqual(r.min, r.max);
});

test("bad input is an error result, not NaN", () => {
  assert.deepEqual(caseWeightedMean([]), { ok: false, error: "no site reported a value" });
  assert.deepEqual(caseWeightedMean([{ site: "a", value: 1, n: 0 }]), {
    ok: false,
    error: "site a: case count must be > 0",
  });
  assert.deepEqual(caseWeightedMean([{ site: "b", value: Number.NaN, n: 3 }]), {
    ok: false,
    error: "site b: value must be a finite number",
  });
});
