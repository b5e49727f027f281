import assert from "node:assert/strict";
import { test } from "node:test";
import { mulberry32, standardNormal } from "../../src/stats/random.ts";

test("standardNormal: seeded, mean 0 and variance 1, tails as the normal's", () => {
  const draws = (seed: number) => {
    const normal = standardNormal(mulberry32(seed));
    return Array.from({ length: 40_000 }, normal);
  };
  const x = draws(5);
  assert.deepEqual(x.slice(0, 5), draws(5).slice(0, 5));
  const mean = x.reduce((a, b) => a + b, 0) / x.length;
  const variance = x.reduce((a, b) => a + (b - mean) ** 2, 0) / (x.length - 1);
  // 40,000 draws: the mean's SE is 0.005, the variance's about 0.007
  assert.ok(Math.abs(mean) < 0.025, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 0.035, `variance ${variance}`);
  const beyond = x.filter((z) => Math.abs(z) > 1.959964).length / x.length;
  assert.ok(Math.abs(beyond - 0.05) < 0.006, `share beyond ±1.96: ${beyond}`);
});
