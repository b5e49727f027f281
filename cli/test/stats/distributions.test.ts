import assert from "node:assert/strict";
import { test } from "node:test";
import {
  chiSquareSurvival,
  chiSquareUpperQuantile,
  criticalT,
  criticalZ,
  normalQuantile,
  studentTSurvival,
} from "../../src/stats/distributions.ts";

function near(actual: number, expected: number, tolerance: number): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} is not ${expected} ± ${tolerance}`);
}

test("normal quantiles match the standard normal table", () => {
  // Source: NIST/SEMATECH e-Handbook of Statistical Methods, §1.3.6.7.1 (critical values of the
  // normal distribution): 1.960 (0.975), 2.576 (0.995), 3.090 (0.999); z(0.975) = 1.959964.
  near(normalQuantile(0.975), 1.959964, 1e-6);
  near(normalQuantile(0.995), 2.575829, 1e-6);
  near(normalQuantile(0.999), 3.090232, 1e-6);
  near(normalQuantile(0.025), -1.959964, 1e-6);
  assert.equal(normalQuantile(0.5), 0);
  assert.equal(normalQuantile(0), Number.NEGATIVE_INFINITY);
  assert.equal(normalQuantile(1), Number.POSITIVE_INFINITY);
  near(criticalZ(0.95), 1.959964, 1e-6);
  near(criticalZ(0.99), 2.575829, 1e-6);
  assert.throws(() => normalQuantile(1.5), RangeError);
  assert.throws(() => criticalZ(1), RangeError);
});

test("chi-square upper tail matches the chi-square table", () => {
  // Source: NIST/SEMATECH e-Handbook of Statistical Methods, §1.3.6.7.4 (critical values of the
  // chi-square distribution): upper 5% points 3.841 (df 1), 5.991 (df 2), 21.026 (df 12);
  // upper 1% point 23.209 (df 10).
  near(chiSquareSurvival(3.841, 1), 0.05, 1e-4);
  near(chiSquareSurvival(5.991, 2), 0.05, 1e-4);
  near(chiSquareSurvival(21.026, 12), 0.05, 1e-4);
  near(chiSquareSurvival(23.209, 10), 0.01, 1e-4);
  // df = 2 has the closed form exp(-x/2), on both sides of the series/continued-fraction switch.
  for (const x of [0.3, 1.7, 2.9, 8, 40]) near(chiSquareSurvival(x, 2), Math.exp(-x / 2), 1e-13);
  assert.equal(chiSquareSurvival(0, 5), 1);
});

test("the two implementations agree: P(χ²₁ >= z²) = 2Φ(−|z|), into the far tail", () => {
  for (const p of [0.2, 0.025, 1e-4, 1e-9, 1e-13]) {
    const z = normalQuantile(p);
    near(chiSquareSurvival(z * z, 1) / (2 * p), 1, 1e-9);
  }
});

test("Student-t critical values and tail, chi-square quantiles match R", () => {
  // R 4: for (df in c(1, 2, 3, 8, 12, 100)) c(qt(.975, df), qchisq(.025, df, lower.tail = FALSE),
  //   qchisq(.975, df, lower.tail = FALSE), pt(-1.5, df, lower.tail = FALSE))
  const r: [number, number, number, number, number][] = [
    [1, 12.7062047361747, 5.02388618731489, 9.82069117175258e-4, 0.812832958189001],
    [2, 4.30265272974946, 7.37775890822787, 0.0506356159685798, 0.8638034375544995],
    [3, 3.182446305283708, 9.348403604496145, 0.215795282623898, 0.884708067377589],
    [8, 2.306004135204166, 17.534546139484647, 2.179730747252651, 0.913998354024044],
    [12, 2.178812829667228, 23.336664158645345, 4.403788506981702, 0.920271248243397],
    [100, 1.983971518523552, 129.56119718583662, 74.22192747492373, 0.931617470937656],
  ];
  for (const [df, t, upper, lower, tail] of r) {
    near(criticalT(0.95, df), t, 1e-10);
    near(chiSquareUpperQuantile(0.025, df), upper, 1e-9);
    near(chiSquareUpperQuantile(0.975, df), lower, 1e-12);
    near(studentTSurvival(-1.5, df), tail, 1e-12);
  }
  near(studentTSurvival(0, 5), 0.5, 1e-15);
  assert.throws(() => criticalT(1, 3), RangeError);
  assert.throws(() => chiSquareUpperQuantile(0, 3), RangeError);
});
