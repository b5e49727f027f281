import assert from "node:assert/strict";
import { test } from "node:test";
import { siteSpread } from "../../src/stats/spread.ts";

const values = [
  { site: "a", value: 2 },
  { site: "b", value: 4 },
  { site: "c", value: 1 },
  { site: "d", value: 3 },
];

test("worst and best site follow the metric's direction; sd uses k − 1", () => {
  const higher = siteSpread(values, "higher");
  assert.ok(higher.ok);
  assert.deepEqual(higher.worst, { site: "c", value: 1 });
  assert.deepEqual(higher.best, { site: "b", value: 4 });
  // Values 1..4: mean 2.5, squares 5, sd √(5/3).
  assert.ok(Math.abs((higher.sd as number) - Math.sqrt(5 / 3)) < 1e-12);
  assert.equal(higher.range, 3);
  assert.equal(higher.k, 4);
  const lower = siteSpread(values, "lower");
  assert.ok(lower.ok);
  assert.deepEqual(lower.worst, { site: "b", value: 4 });
  assert.deepEqual(lower.best, { site: "c", value: 1 });
  assert.equal(lower.sd, higher.sd);
});

test("one site has no spread; no site is an error result", () => {
  const one = siteSpread([{ site: "a", value: 0.9 }], "higher");
  assert.ok(one.ok);
  assert.equal(one.sd, null);
  assert.equal(one.range, 0);
  assert.deepEqual(one.worst, one.best);
  assert.deepEqual(siteSpread([], "higher"), { ok: false, error: "no site reported a value" });
  assert.equal(siteSpread([{ site: "x", value: Number.NaN }], "lower").ok, false);
});
