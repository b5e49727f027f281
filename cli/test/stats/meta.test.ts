// Random-effects meta-analysis against metafor 3.8.1 (Viechtbauer 2010, J Stat Softw 36(3)),
// computed once with R 4 on this project's machine; each test quotes the R call. The methods
// are those of Debray et al. 2019 (Stat Methods Med Res 28:2768) for prediction-model studies:
// REML τ², the modified Hartung–Knapp–Sidik–Jonkman interval (IntHout, Ioannidis & Borm 2014,
// BMC Med Res Methodol 14:25; Röver, Knapp & Friede 2015, BMC Med Res Methodol 15:99), which
// metafor calls test = "adhoc", and the prediction interval of predict().
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type MetaPooled, metaAnalysis, metaEstimate, type SiteEstimate } from "../../src/stats/meta.ts";
import { inverseLogit, logitProportion } from "../../src/stats/scale.ts";
import { PRITZ } from "../helpers/metafor-data.ts";

function near(actual: number | null | undefined, expected: number, tolerance = 1e-4): void {
  assert.ok(
    actual !== null && actual !== undefined && Math.abs(actual - expected) <= tolerance,
    `${actual} is not ${expected} ± ${tolerance}`,
  );
}

/** What R printed for a fit: coefficient, se, ci, pi, tau2, I2, QE, confint()'s tau² and I² rows. */
interface RFit {
  est: number;
  se: number;
  ci: [number, number];
  pi: [number, number] | null;
  tau2: number;
  i2: number;
  q: number;
  tau2ci: [number, number];
  i2ci: [number, number];
}

function matchesR(r: ReturnType<typeof metaAnalysis>, expected: RFit): MetaPooled {
  assert.ok(r.ok, r.ok ? "" : r.error);
  near(r.estimate, expected.est);
  near(r.se, expected.se);
  near(r.ci_low, expected.ci[0]);
  near(r.ci_high, expected.ci[1]);
  if (expected.pi) {
    near(r.pi_low, expected.pi[0]);
    near(r.pi_high, expected.pi[1]);
  } else {
    assert.equal(r.pi_low, null);
    assert.equal(r.pi_high, null);
  }
  near(r.tau2, expected.tau2);
  near(r.i2, expected.i2);
  near(r.q, expected.q);
  near(r.tau2_ci?.[0], expected.tau2ci[0]);
  near(r.tau2_ci?.[1], expected.tau2ci[1]);
  near(r.i2_ci?.[0], expected.i2ci[0]);
  near(r.i2_ci?.[1], expected.i2ci[1]);
  return r;
}

// metafor's dat.bcg: 13 trials of the BCG vaccine (Colditz et al. 1994, JAMA 271:698–702):
// author/year, tpos, tneg, cpos, cneg.
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

// metafor's dat.normand1999: 9 stroke-unit trials, length of stay (Normand 1999, Stat Med
// 18:321): source, n1i, m1i, sd1i, n2i, m2i, sd2i.
const NORMAND: [string, number, number, number, number, number, number][] = [
  ["Edinburgh", 155, 55, 47, 156, 75, 64],
  ["Orpington-Mild", 31, 27, 7, 32, 29, 4],
  ["Orpington-Moderate", 75, 64, 17, 71, 119, 29],
  ["Orpington-Severe", 18, 66, 20, 18, 137, 48],
  ["Montreal-Home", 8, 14, 8, 13, 18, 11],
  ["Montreal-Transfer", 57, 19, 7, 52, 18, 4],
  ["Newcastle", 34, 52, 45, 33, 41, 34],
  ["Umea", 110, 21, 16, 183, 31, 27],
  ["Uppsala", 60, 30, 27, 52, 23, 20],
];

/** escalc(measure = "MD"): mean difference and its variance sd1²/n1 + sd2²/n2. */
const meanDifferences: SiteEstimate[] = NORMAND.map(([site, n1, m1, sd1, n2, m2, sd2]) => ({
  site,
  value: m1 - m2,
  se: Math.sqrt((sd1 * sd1) / n1 + (sd2 * sd2) / n2),
}));

const logitProportions = (cells: readonly [number, number][]): SiteEstimate[] =>
  cells.map(([x, n], i) => {
    const r = logitProportion(x, n);
    assert.ok(!("ok" in r));
    return { site: `s${i + 1}`, ...r };
  });

describe('metaAnalysis matches metafor\'s rma(..., test = "adhoc"), predict() and confint()', () => {
  test("dat.bcg, log risk ratios, REML", () => {
    // dat <- escalc(measure="RR", ai=tpos, bi=tneg, ci=cpos, di=cneg, data=dat.bcg)
    // res <- rma(yi, vi, data=dat, method="REML", test="adhoc"); predict(res)
    // confint(res, control=list(tol=1e-12))
    const r = matchesR(metaAnalysis(logRiskRatios, { estimator: "REML" }), {
      est: -0.71453235,
      se: 0.18079175,
      ci: [-1.10844372, -0.32062097],
      pi: [-1.99601697, 0.56695227],
      tau2: 0.31324333,
      i2: 92.22138607,
      q: 152.23300808,
      tau2ci: [0.11971836, 1.11147908],
      i2ci: [81.92057456, 97.67807496],
    });
    assert.equal(r.estimator, "REML");
    assert.equal(r.k, 13);
    assert.equal(r.df, 12);
    assert.ok(r.q_p_value !== null && r.q_p_value < 1e-4);
  });

  test("dat.bcg, log risk ratios, DL", () => {
    // rma(yi, vi, data=dat, method="DL", test="adhoc"): the Q-profile interval does not
    // depend on the estimator
    matchesR(metaAnalysis(logRiskRatios, { estimator: "DL" }), {
      est: -0.71411722,
      se: 0.18069663,
      ci: [-1.10782135, -0.32041309],
      pi: [-1.98720696, 0.55897252],
      tau2: 0.30876026,
      i2: 92.11734685,
      q: 152.23300808,
      tau2ci: [0.11971836, 1.11147908],
      i2ci: [81.92057456, 97.67807496],
    });
  });

  test("REML is the default estimator, as in metafor", () => {
    const r = metaAnalysis(logRiskRatios);
    assert.ok(r.ok);
    assert.equal(r.estimator, "REML");
  });

  test("dat.normand1999, mean differences, REML and DL (τ² interval capped at 10·τ̂² as metafor)", () => {
    // d2 <- escalc(measure="MD", m1i=m1i, sd1i=sd1i, n1i=n1i, m2i=m2i, sd2i=sd2i, n2i=n2i,
    //              data=dat.normand1999)
    // rma(yi, vi, data=d2, method="REML", test="adhoc"); predict(); confint(control=list(tol=1e-12))
    matchesR(metaAnalysis(meanDifferences, { estimator: "REML" }), {
      est: -15.10602747,
      se: 9.19890875,
      ci: [-36.31874908, 6.10669414],
      pi: [-79.06454251, 48.85248756],
      tau2: 684.64615288,
      i2: 98.97127435,
      q: 238.91581086,
      tau2ci: [292.91812166, 2889.45134912],
      i2ci: [97.62815971, 99.75431825],
    });
    // rma(yi, vi, data=d2, method="DL", test="adhoc"): the upper end of τ² is 10 × 205.409
    matchesR(metaAnalysis(meanDifferences, { estimator: "DL" }), {
      est: -13.98172182,
      se: 8.73680666,
      ci: [-34.12883411, 6.16539048],
      pi: [-52.68834065, 24.72489701],
      tau2: 205.40937547,
      i2: 96.65154015,
      q: 238.91581086,
      tau2ci: [292.91812166, 2054.09375468],
      i2ci: [97.62815971, 99.6547495],
    });
  });

  test("dat.pritz1997, logit proportions (escalc PLO), REML, back-transformed", () => {
    // d3 <- escalc(measure="PLO", xi=xi, ni=ni, data=dat.pritz1997)
    // r3 <- rma(yi, vi, data=d3, method="REML", test="adhoc"); predict(r3, transf=transf.ilogit)
    const r = matchesR(metaAnalysis(logitProportions(PRITZ)), {
      est: 1.13890914,
      se: 0.24444147,
      ci: [0.61082544, 1.66699283],
      pi: [-0.26838406, 2.54620233],
      tau2: 0.36458785,
      i2: 56.55960757,
      q: 29.78541646,
      tau2ci: [0.04136313, 2.05099231],
      i2ci: [12.87033514, 87.98718153],
    });
    // R printed pred 0.7575, ci 0.6481–0.8412, pi 0.4333–0.9273 (four decimals)
    near(inverseLogit(r.estimate), 0.7575, 5e-5);
    near(inverseLogit(r.ci_low), 0.6481, 5e-5);
    near(inverseLogit(r.ci_high), 0.8412, 5e-5);
    near(inverseLogit(r.pi_low as number), 0.4333, 5e-5);
    near(inverseLogit(r.pi_high as number), 0.9273, 5e-5);
  });

  test("0 and n cells: ½ added as escalc does, then pooled", () => {
    // d4 <- escalc(measure="PLO", xi=c(0, 12, 20, 7), ni=c(15, 20, 20, 9))
    //   yi -3.4339872045 0.4054651081 3.7135720667 1.2527629685
    //   vi  2.0645161290 0.2083333333 2.0487804878 0.6428571429
    // rma(yi, vi, data=d4, method="REML", test="adhoc"): the τ² interval ends at metafor's
    // cap of 100
    const sites = logitProportions([
      [0, 15],
      [12, 20],
      [20, 20],
      [7, 9],
    ]);
    const expected = [
      [-3.4339872045, 2.064516129],
      [0.4054651081, 0.2083333333],
      [3.7135720667, 2.0487804878],
      [1.2527629685, 0.6428571429],
    ];
    sites.forEach((s, i) => {
      near(s.value, expected[i]?.[0] as number, 1e-9);
      near(s.se ** 2, expected[i]?.[1] as number, 1e-9);
    });
    matchesR(metaAnalysis(sites), {
      est: 0.51776533,
      se: 1.39725376,
      ci: [-3.92891975, 4.9644504],
      pi: [-8.36148792, 9.39701858],
      tau2: 5.83218179,
      i2: 88.04747603,
      q: 13.44152248,
      tau2ci: [0.8197353, 100],
      i2ci: [50.86913085, 99.21449511],
    });
  });

  test("k = 2: a t(1) interval, no prediction interval", () => {
    // rma(yi, vi, data=dat[1:2,], method="REML", test="adhoc"): predict() would print a
    // "prediction interval" equal to the CI; with two sites there is none to give
    const r = matchesR(metaAnalysis(logRiskRatios.slice(0, 2)), {
      est: -1.32500344,
      se: 0.34898877,
      ci: [-5.75932623, 3.10931935],
      pi: null,
      tau2: 0,
      i2: 0,
      q: 0.93147908,
      tau2ci: [0, 100],
      i2ci: [0, 99.74059173],
    });
    assert.equal(r.k, 2);
  });

  test("k = 3 with heterogeneity", () => {
    // rma(yi, vi, data=dat[c(7,12,13),], method="REML", test="adhoc")
    matchesR(metaAnalysis([7, 12, 13].map((i) => logRiskRatios[i - 1] as SiteEstimate)), {
      est: -0.43994418,
      se: 0.61350208,
      ci: [-3.0796306, 2.19974224],
      pi: [-5.24012345, 4.36023509],
      tau2: 0.86825109,
      i2: 80.60981025,
      q: 9.97189366,
      tau2ci: [0.06749499, 46.15429188],
      i2ci: [24.42396272, 99.54952923],
    });
  });

  test("the modified Hartung–Knapp interval is never narrower than the Wald z interval", () => {
    // q < 1 here (sites agree more than their SEs say): the ad hoc correction keeps the z SE
    const sites = [
      { site: "a", value: 0.1, se: 0.3 },
      { site: "b", value: 0.12, se: 0.3 },
      { site: "c", value: 0.11, se: 0.2 },
    ];
    const r = metaAnalysis(sites);
    assert.ok(r.ok);
    assert.equal(r.tau2, 0);
    const zSe = 1 / Math.sqrt(1 / 0.09 + 1 / 0.09 + 1 / 0.04);
    near(r.se, zSe, 1e-12);
    assert.ok(r.ci_high - r.ci_low > 2 * 1.959964 * zSe);
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
    for (const field of ["pi_low", "pi_high", "tau2", "tau2_ci", "i2", "i2_ci", "q", "q_p_value"] as const) {
      assert.equal(r[field], null, field);
    }
  });

  test("identical site values: Q = 0, τ² = 0 and its interval [0, 0], I² = 0", () => {
    for (const estimator of ["DL", "REML"] as const) {
      const r = metaAnalysis(
        [
          { site: "a", value: 0.7, se: 0.1 },
          { site: "b", value: 0.7, se: 0.2 },
          { site: "c", value: 0.7, se: 0.2 },
        ],
        { estimator },
      );
      assert.ok(r.ok);
      assert.equal(r.tau2, 0);
      assert.deepEqual(r.tau2_ci, [0, 0]);
      assert.equal(r.i2, 0);
      near(r.q, 0, 1e-12);
      near(r.estimate, 0.7, 1e-12);
      near(r.q_p_value, 1, 1e-12);
      // τ² = 0: the prediction interval is the confidence interval
      near(r.pi_low, r.ci_low, 1e-12);
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
    assert.equal(metaEstimate([0.1], [0]), null);
    assert.equal(metaEstimate([], []), null);
  });

  test("no sites is an error result", () => {
    assert.deepEqual(metaAnalysis([]), { ok: false, error: "no site reported a value" });
  });

  test("metaEstimate is metaAnalysis's estimate", () => {
    for (const estimator of ["DL", "REML"] as const) {
      const full = metaAnalysis(meanDifferences, { estimator });
      assert.ok(full.ok);
      assert.equal(
        metaEstimate(
          meanDifferences.map((s) => s.value),
          meanDifferences.map((s) => s.se ** 2),
          estimator,
        ),
        full.estimate,
      );
    }
    assert.equal(metaEstimate([3], [1]), 3);
  });
});
