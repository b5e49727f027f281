import assert from "node:assert/strict";
import { test } from "node:test";
import { fromScale, inverseLogit, logit, logitProportion, toScale } from "../../src/stats/scale.ts";

test("logit scale: the delta-method SE, and back", () => {
  const r = toScale("logit", { value: 0.8, se: 0.04 });
  assert.ok(Math.abs(r.value - Math.log(4)) < 1e-15);
  assert.ok(Math.abs(r.se - 0.04 / 0.16) < 1e-15);
  assert.ok(Math.abs(fromScale("logit", r.value) - 0.8) < 1e-15);
  assert.deepEqual(toScale("identity", { value: 3, se: 1 }), { value: 3, se: 1 });
  assert.equal(fromScale("identity", -2), -2);
  assert.equal(inverseLogit(logit(0.25)), 0.25);
});

test("a value on a bound has no logit", () => {
  assert.throws(() => toScale("logit", { value: 1, se: 0.01 }), /needs a value in \(0, 1\), got 1/);
  assert.throws(() => toScale("logit", { value: 0, se: 0.01 }), RangeError);
});

test("logitProportion is escalc(measure = 'PLO'), ½ added only to a 0 or n cell", () => {
  // escalc(measure="PLO", xi=c(0, 12, 20), ni=c(15, 20, 20)): yi -3.4339872045 0.4054651081
  // 3.7135720667, vi 2.0645161290 0.2083333333 2.0487804878
  const expected: [number, number, number, number][] = [
    [0, 15, -3.4339872045, 2.064516129],
    [12, 20, 0.4054651081, 0.2083333333],
    [20, 20, 3.7135720667, 2.0487804878],
  ];
  for (const [x, n, yi, vi] of expected) {
    const r = logitProportion(x, n);
    assert.ok(!("ok" in r));
    assert.ok(Math.abs(r.value - yi) < 1e-9);
    assert.ok(Math.abs(r.se ** 2 - vi) < 1e-9);
  }
  assert.deepEqual(logitProportion(0, 0), { ok: false, error: "no cases in the denominator" });
  assert.equal("ok" in logitProportion(3, 2), true);
});
