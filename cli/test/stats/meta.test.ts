import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { metaAnalysis, type SiteEstimate } from "../../src/stats/meta.ts";

function near(actual: number | null, expected: number, tolerance = 1e-4): void {
  assert.ok(
    actual !== null && Math.abs(actual - expected) <= tolerance,
    `${actual} is not ${expected} ± ${tolerance}`,
  );
}

// metafor's dat.bcg: 13 trials of the BCG vaccine against tuberculosis (Colditz et al. 1994,
// JAMA 271:698–702), as listed in metafor's documentation and Viechtbauer (2010), J Stat Softw
// 36(3): author/year, tpos, tneg, cpos, cneg.
const BCG: [string, number, number, number, number][] = [
  ["Aronson 1948", 4, 119, 11, 128],
  ["Ferguson & Simes 1949", 6, 300, 29, 274],
  ["Rosenthal et al 1960", 3, 228, 11, 209],
  ["Hart & Sutherland 1977", 62, 13536, 248, 12619],
  ["Frimodt-Moller et al 1973", 33, 5036, 47, 5761],
  ["Stein & Aronson 1953", 180, 1361, 372, 1079],
  ["Vandiviere et al 1973", 8, 2537, 10, 619],
  ["TPT Madras 1980", 505, 87886, 499, 87892],
  ["Coetzee & Berjak 1968", 29, 7470, 45, 7232],
  ["Rosenthal et al 1961", 17, 1699, 65, 1600],
  ["Comstock et al 1974", 186, 50448, 141, 27197],
  ["Comstock & Webster 1969", 5, 2493, 3, 2338],
  ["Comstock et al 1976", 27, 16886, 29, 17825],
];

/** escalc(measure = "RR"): log risk ratio and its large-sample variance. */
const logRiskRatios: SiteEstimate[] = BCG.map(([site, tpos, tneg, cpos, cneg]) => ({
  site,
  value: Math.log(tpos / (tpos + tneg) / (cpos / (cpos + cneg))),
  se: Math.sqrt(1 / tpos - 1 / (tpos + tneg) + 1 / cpos - 1 / (cpos + cneg)),
}));

/** escalc(measure = "OR"): log odds ratio and its large-sample variance. */
const logOddsRatios: SiteEstimate[] = BCG.map(([site, tpos, tneg, cpos, cneg]) => ({
  site,
  value: Math.log((tpos * cneg) / (tneg * cpos)),
  se: Math.sqrt(1 / tpos + 1 / tneg + 1 / cpos + 1 / cneg),
}));

describe("metaAnalysis on metafor's dat.bcg", () => {
  test("DerSimonian–Laird, log risk ratios, matches metafor", () => {
    // Source: metafor's test suite, tests/testthat/test_misc_metan_vs_rma.uni_with_dat.bcg.r
    // (github.com/wviechtb/metafor), rma(yi, vi, data=dat, method="DL") with measure "RR":
    // beta -0.7141, ci.lb -1.0644, ci.ub -0.3638, zval -3.9952, tau2 0.3088, I2 92.1173;
    // QE 152.2330 from the same file's fixed-effect fit (Q does not depend on tau²).
    const r = metaAnalysis(logRiskRatios, { estimator: "DL" });
    assert.ok(r.ok);
    assert.equal(r.pooled, true);
    assert.equal(r.k, 13);
    assert.equal(r.df, 12);
    near(r.estimate, -0.7141);
    near(r.ci_low, -1.0644);
    near(r.ci_high, -0.3638);
    near(r.estimate / r.se, -3.9952);
    near(r.se, 0.1787); // = 0.7141 / 3.9952, the published estimate over the published zval
    near(r.tau2, 0.3088);
    near(r.i2, 92.1173);
    near(r.q, 152.233);
    // metafor prints "p-val < .0001" for Q(df = 12) = 152.2330.
    assert.ok(r.q_p_value !== null && r.q_p_value < 1e-4);
  });

  test("REML, log risk ratios, matches metafor's printed output", () => {
    // Source: metafor::rma(yi, vi, data = dat, method = "REML") on escalc(measure = "RR") of
    // dat.bcg, printed in the RoBMA vignette "Bayesian Meta-Analysis" (CRAN, F. Bartoš) and in
    // metafor's documentation (Viechtbauer 2010): tau^2 0.3132, I^2 92.22%, Q(df = 12) = 152.2330,
    // estimate -0.7145, se 0.1798, zval -3.9744, ci.lb -1.0669, ci.ub -0.3622.
    const r = metaAnalysis(logRiskRatios, { estimator: "REML" });
    assert.ok(r.ok);
    assert.equal(r.estimator, "REML");
    near(r.estimate, -0.7145);
    near(r.se, 0.1798);
    near(r.estimate / r.se, -3.9744);
    near(r.ci_low, -1.0669);
    near(r.ci_high, -0.3622);
    near(r.tau2, 0.3132);
    near((r.i2 as number) / 100, 0.9222); // published to two decimals of a percent
    near(r.q, 152.233);
  });

  test("REML is the default estimator, as in metafor", () => {
    const r = metaAnalysis(logRiskRatios);
    assert.ok(r.ok);
    assert.equal(r.estimator, "REML");
  });

  test("DerSimonian–Laird, log odds ratios, matches metafor", () => {
    // Source: the same metafor test file, rma(..., method="DL") with measure "OR": beta -0.7474,
    // ci.lb -1.1242, ci.ub -0.3706, zval -3.8873, tau2 0.3663, I2 92.6455; QE 163.1649 from the
    // fixed-effect "OR" fit. metafor's printed summary of this fit shows se 0.1923.
    const r = metaAnalysis(logOddsRatios, { estimator: "DL" });
    assert.ok(r.ok);
    near(r.estimate, -0.7474);
    near(r.se, 0.1923);
    near(r.estimate / r.se, -3.8873);
    near(r.ci_low, -1.1242);
    near(r.ci_high, -0.3706);
    near(r.tau2, 0.3663);
    near(r.i2, 92.6455);
    near(r.q, 163.1649);
  });
});

describe("metaAnalysis edge cases", () => {
  test("one site: no pooling claimed, the site's own estimate and interval", () => {
    const r = metaAnalysis([{ site: "a", value: 0.8, se: 0.05 }]);
    assert.ok(r.ok);
    assert.equal(r.pooled, false);
    assert.equal(r.k, 1);
    assert.equal(r.estimate, 0.8);
    assert.equal(r.se, 0.05);
    near(r.ci_low, 0.8 - 1.959964 * 0.05, 1e-6);
    near(r.ci_high, 0.8 + 1.959964 * 0.05, 1e-6);
    assert.equal(r.tau2, null);
    assert.equal(r.i2, null);
    assert.equal(r.q, null);
    assert.equal(r.q_p_value, null);
  });

  test("identical site values: Q = 0, τ² = 0, I² = 0, inverse-variance mean", () => {
    for (const estimator of ["DL", "REML"] as const) {
      const r = metaAnalysis(
        [
          { site: "a", value: 0.7, se: 0.1 },
          { site: "b", value: 0.7, se: 0.2 },
        ],
        { estimator },
      );
      assert.ok(r.ok);
      assert.equal(r.tau2, 0);
      assert.equal(r.i2, 0);
      near(r.q, 0, 1e-12);
      near(r.estimate, 0.7, 1e-12);
      near(r.se, 1 / Math.sqrt(1 / 0.01 + 1 / 0.04), 1e-12);
      near(r.q_p_value, 1, 1e-12);
    }
  });

  test("a zero or non-finite standard error is an error result naming the site, not NaN", () => {
    const zero = metaAnalysis([
      { site: "a", value: 0.7, se: 0.1 },
      { site: "b", value: 0.8, se: 0 },
    ]);
    assert.deepEqual(zero, { ok: false, error: "site b: standard error must be a finite number > 0" });
    const nan = metaAnalysis([{ site: "c", value: Number.NaN, se: 0.1 }]);
    assert.deepEqual(nan, { ok: false, error: "site c: value must be a finite number" });
    const infinite = metaAnalysis([{ site: "d", value: 0.1, se: Number.POSITIVE_INFINITY }]);
    assert.equal(infinite.ok, false);
  });

  test("no sites is an error result", () => {
    assert.deepEqual(metaAnalysis([]), { ok: false, error: "no site reported a value" });
  });
});
