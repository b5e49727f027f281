/**
 * The pooling registry (results/pooling.ts): every method with a standard error pools by random
 * effects (metafor's rma(..., test = "adhoc") with predict(); Debray et al. 2019, Stat Methods
 * Med Res 28:2768; IntHout et al. 2014 and Röver et al. 2015 on the modified Hartung–Knapp
 * interval) on the logit scale for a metric on [0, 1]; R's values were computed once with
 * metafor 3.8.1 and pROC 1.18.0 and are quoted with the call that produced them.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { MetricSpec, MetricValue, Pooling } from "../../src/governance/types.ts";
import type { SiteInput } from "../../src/results/pooling/method.ts";
import {
  drawPool,
  POOLING_METHODS,
  poolingOf,
  poolMetric,
  rankData,
  siteInterval,
  usableSites,
} from "../../src/results/pooling.ts";
import { criticalZ } from "../../src/stats/distributions.ts";
import { histogramAuc } from "../../src/stats/histogram.ts";
import { inverseLogit } from "../../src/stats/scale.ts";
import { ASAH_S100B, asahSites } from "../helpers/asah.ts";
import { PRITZ } from "../helpers/metafor-data.ts";

const spec = (id: string, pooling: Pooling, extra: Partial<MetricSpec> = {}): MetricSpec => ({
  id,
  group: "accuracy",
  direction: "higher",
  pooling,
  ...extra,
});
const unit: Partial<MetricSpec> = { range: [0, 1] };
const site = (name: string, value: MetricValue, n = 100): SiteInput => ({ site: name, value, n });

function near(actual: number | null | undefined, expected: number, tolerance = 1e-4): void {
  assert.ok(
    actual !== null && actual !== undefined && Math.abs(actual - expected) <= tolerance,
    `${actual} is not ${expected} ± ${tolerance}`,
  );
}

/** Each aSAH site's pROC AUC as its reported value, with its histogram (no SE reported). */
const asah: SiteInput[] = asahSites(ASAH_S100B).map((h, i) => {
  const r = histogramAuc(h);
  assert.ok(r.ok);
  return site(`site-${"abc"[i]}`, {
    value: r.estimate,
    histogram: { bins: h.positive.length, positive: [...h.positive], negative: [...h.negative] },
  });
});

/** metafor's dat.pritz1997 as sensitivities: tp = xi, fn = ni − xi. */
const pritz: SiteInput[] = PRITZ.map(([x, n], i) =>
  site(`s${i + 1}`, { value: x / n, counts: { tp: x, fn: n - x, tn: 0, fp: 0 } }, n),
);

// metafor's dat.normand1999 mean differences (escalc "MD"): yi and sqrt(vi)
const NORMAND: [number, number][] = [
  [-20, 40.50802316],
  [-2, 2.080645161],
  [-55, 15.698403756],
  [-71, 150.222222222],
  [-4, 17.307692308],
  [1, 1.16734143],
  [11, 94.58912656],
  [-10, 6.310879285],
  [7, 19.842307692],
];
const normand: SiteInput[] = NORMAND.map(([yi, vi], i) =>
  site(`t${i + 1}`, { value: yi, se: Math.sqrt(vi) }),
);

describe("pooling methods", () => {
  it("the registry holds one record per declared method", () => {
    assert.deepEqual(Object.keys(POOLING_METHODS).sort(), ["counts", "histogram", "mean", "meta"]);
    assert.deepEqual(Object.fromEntries(Object.entries(POOLING_METHODS).map(([k, m]) => [k, m.field])), {
      histogram: "histogram",
      counts: "counts",
      meta: "se",
      mean: null,
    });
    for (const m of Object.values(POOLING_METHODS)) assert.ok(m.explanation.length > 40);
  });

  it("histogram: each site's AUC with DeLong's SE, pooled on the logit scale (aSAH split, metafor)", () => {
    // yi <- qlogis(auc); vi <- var(roc, method="delong") / (auc (1 − auc))²
    // predict(rma(yi, vi, method="REML", test="adhoc"), transf=transf.ilogit):
    // pred 0.73295790, ci 0.46203701–0.89766164, pi the same (τ² = 0)
    const { pooled, note } = poolMetric(spec("auc", "histogram", unit), asah);
    assert.ok(pooled);
    assert.deepEqual(
      [pooled.method, pooled.estimator, pooled.scale, pooled.interval, pooled.k, pooled.n],
      ["random-effects", "REML", "logit", "hksj", 3, 300],
    );
    near(pooled.estimate, 0.7329579);
    near(pooled.ci_low, 0.46203701);
    near(pooled.ci_high, 0.89766164);
    near(pooled.pi_low, 0.46203701);
    near(pooled.pi_high, 0.89766164);
    near(pooled.tau2, 0);
    near(pooled.q, 0.10018116);
    near(pooled.tau2_ci?.[1], 0.21004903);
    near(pooled.i2_ci?.[1], 48.95189337);
    assert.equal(note, "only 3 sites: the intervals are wide by design.");
  });

  it("histogram: two sites, each AUC 0.5, scores shifted between them: pooled AUC 0.500", () => {
    // Summing the histograms would give 0.75: site b's negatives outscore site a's positives.
    const sites = [
      site("a", {
        value: 0.5,
        histogram: { bins: 6, positive: [2, 3, 2, 0, 0, 0], negative: [2, 3, 2, 0, 0, 0] },
      }),
      site("b", {
        value: 0.5,
        histogram: { bins: 6, positive: [0, 0, 0, 2, 3, 2], negative: [0, 0, 0, 2, 3, 2] },
      }),
    ];
    const { pooled, note } = poolMetric(spec("auc", "histogram", unit), sites);
    assert.ok(pooled);
    near(pooled.estimate, 0.5, 1e-12);
    assert.equal(pooled.estimate.toFixed(3), "0.500");
    assert.ok((pooled.ci_low as number) >= 0 && (pooled.ci_high as number) <= 1);
    assert.equal(pooled.pi_low, null);
    assert.equal(
      note,
      "only 2 sites: the interval is wide by design, and no prediction interval can be given (it needs 3).",
    );
  });

  it("histogram: all ties (DeLong SE 0) and an empty class leave the site out, and say so", () => {
    const sites = [
      ...asah,
      site("ties", { value: 0.5, histogram: { bins: 2, positive: [0, 3], negative: [0, 4] } }),
      site("no-positives", { value: 0.5, histogram: { bins: 2, positive: [0, 0], negative: [3, 4] } }),
    ];
    const auc = spec("auc", "histogram", unit);
    assert.deepEqual(
      usableSites(auc, sites).map((s) => s.site),
      ["site-a", "site-b", "site-c"],
    );
    const { pooled, note } = poolMetric(auc, sites);
    assert.equal(pooled?.k, 3);
    assert.match(note ?? "", /^2 sites left out: no standard error \(reported, or DeLong's/);
  });

  it("histogram: a reported SE is used as the site reported it", () => {
    const sites = asah.map((s) => site(s.site, { ...s.value, se: 0.05 }));
    const { pooled } = poolMetric(spec("auc", "histogram", unit), sites);
    const viaMeta = poolMetric(
      spec("auc", "meta", unit),
      sites.map((s) => site(s.site, { value: s.value.value, se: 0.05 })),
    );
    assert.deepEqual(pooled, viaMeta.pooled);
  });

  it("counts: logit proportions (escalc PLO, ½ for 0 and n cells), pooled (dat.pritz1997, metafor)", () => {
    // d3 <- escalc(measure="PLO", xi=xi, ni=ni, data=dat.pritz1997)
    // rma(yi, vi, data=d3, method="REML", test="adhoc"): est 1.13890914, ci 0.61082544–1.66699283,
    // pi −0.26838406–2.54620233, tau2 0.36458785, I2 56.55960757, QE 29.78541646
    const { pooled, note } = poolMetric(spec("sensitivity", "counts"), pritz);
    assert.ok(pooled);
    assert.equal(pooled.scale, "logit");
    near(pooled.estimate, inverseLogit(1.13890914));
    near(pooled.ci_low, inverseLogit(0.61082544));
    near(pooled.ci_high, inverseLogit(1.66699283));
    near(pooled.pi_low, inverseLogit(-0.26838406));
    near(pooled.pi_high, inverseLogit(2.54620233));
    near(pooled.tau2, 0.36458785);
    near(pooled.i2, 56.55960757);
    near(pooled.q, 29.78541646);
    assert.equal(
      pooled.n,
      PRITZ.reduce((a, [, n]) => a + n, 0),
    );
    assert.equal(note, null);
    const other = poolMetric(spec("f1", "counts"), pritz);
    assert.equal(other.pooled, null);
    assert.match(
      other.note ?? "",
      /no confusion counts \(or a metric the counts define\); nothing to pool\.$/,
    );
  });

  it("meta: the benchmark's DL estimator on a metric's own scale (dat.normand1999, metafor)", () => {
    // rma(yi, vi, data=d2, method="DL", test="adhoc"): est −13.98172182, ci −34.12883411–
    // 6.16539048, pi −52.68834065–24.72489701, tau2 205.40937547
    const { pooled } = poolMetric(spec("days", "meta", { estimator: "DL" }), normand);
    assert.ok(pooled);
    assert.deepEqual([pooled.estimator, pooled.scale], ["DL", "identity"]);
    near(pooled.estimate, -13.98172182);
    near(pooled.ci_low, -34.12883411);
    near(pooled.ci_high, 6.16539048);
    near(pooled.pi_low, -52.68834065);
    near(pooled.pi_high, 24.72489701);
    near(pooled.tau2, 205.40937547);
    const reml = poolMetric(spec("days", "meta"), normand).pooled;
    assert.equal(reml?.estimator, "REML");
    near(reml?.estimate, -15.10602747);
  });

  it("meta: an ECE on [0, 1] near 0 keeps its interval inside the range (logit scale)", () => {
    const sites = [
      site("a", { value: 0.02, se: 0.02 }),
      site("b", { value: 0.25, se: 0.03 }),
      site("c", { value: 0.05, se: 0.02 }),
    ];
    const { pooled } = poolMetric(spec("ece", "meta", { ...unit, direction: "lower" }), sites);
    assert.ok(pooled);
    assert.equal(pooled.scale, "logit");
    for (const x of [pooled.ci_low, pooled.ci_high, pooled.pi_low, pooled.pi_high])
      assert.ok(x !== null && x > 0 && x < 1, `${x}`);
  });

  it("a site on a bound: pooled on the metric's own scale, intervals cut at the range, with a note", () => {
    const sites = [
      site("a", { value: 1, se: 0.02 }),
      site("b", { value: 0.9, se: 0.05 }),
      site("c", { value: 0.97, se: 0.03 }),
    ];
    const { pooled, note } = poolMetric(spec("auc", "meta", unit), sites);
    assert.ok(pooled);
    assert.equal(pooled.scale, "identity");
    assert.equal(pooled.ci_high, 1);
    assert.equal(pooled.pi_high, 1);
    assert.equal(
      note,
      "only 3 sites: the intervals are wide by design; a site's value lies on a bound of [0, 1], so it is pooled on its own scale; intervals cut at the metric's range [0, 1].",
    );
  });

  it("one site: nothing pooled, its own value and interval", () => {
    const { pooled, note } = poolMetric(spec("auc", "meta", unit), [site("a", { value: 0.8, se: 0.05 })]);
    assert.ok(pooled);
    assert.deepEqual([pooled.k, pooled.interval, pooled.tau2, pooled.pi_low], [1, "wald", null, null]);
    near(pooled.estimate, 0.8, 1e-12);
    const own = siteInterval(spec("auc", "meta", unit), { value: 0.8, se: 0.05 });
    near(pooled.ci_low, own?.low as number, 1e-12);
    near(pooled.ci_high, own?.high as number, 1e-12);
    assert.equal(note, "one site: nothing pooled, the site's own value and interval.");
  });

  it("mean: case-weighted (a value's own n first), no interval, and says so", () => {
    const values = [site("a", { value: 0.1 }, 50), site("b", { value: 0.2, n: 150 }, 999)];
    const { pooled, note } = poolMetric(spec("latency", "mean"), values);
    assert.ok(pooled);
    assert.equal(pooled.method, "case-weighted-mean");
    near(pooled.estimate, (0.1 * 50 + 0.2 * 150) / 200, 1e-15);
    assert.equal(pooled.n, 200);
    assert.equal(pooled.ci_low, null);
    assert.equal(note, "case-weighted mean: no interval (sites report no standard errors).");
  });

  it("leaves out sites without a value or without the method's statistic, and says how many", () => {
    const sites = [
      ...normand.slice(0, 3),
      site("d", { value: 0.7 }),
      site("e", { value: null, reason: "model-error" }),
    ];
    const days = spec("days", "meta");
    assert.deepEqual(
      usableSites(days, sites).map((s) => s.site),
      ["t1", "t2", "t3"],
    );
    assert.equal(
      poolMetric(days, sites).note,
      "1 site reported no value; 1 site left out: no standard error; only 3 sites: the intervals are wide by design.",
    );
    assert.equal(poolMetric(days, []).note, "no results.");
  });

  it("a site's interval: reported, else from the statistic its metric pools, on the same scale", () => {
    const z = criticalZ(0.95);
    const own = siteInterval(spec("auc", "meta", unit), { value: 0.8, se: 0.04 });
    near(own?.low, inverseLogit(Math.log(4) - (z * 0.04) / 0.16), 1e-12);
    near(own?.high, inverseLogit(Math.log(4) + (z * 0.04) / 0.16), 1e-12);
    assert.deepEqual(siteInterval(spec("auc", "meta", unit), { value: 0.8, ci: [0.7, 0.9], se: 0.01 }), {
      low: 0.7,
      high: 0.9,
      reported: true,
    });
    assert.deepEqual(siteInterval(spec("latency", "mean"), { value: 0.5, se: 0.1 }), {
      low: 0.5 - z * 0.1,
      high: 0.5 + z * 0.1,
      reported: false,
    });
    assert.equal(siteInterval(spec("latency", "mean"), { value: 0.5 }), null);
    assert.equal(siteInterval(spec("latency", "mean"), { value: null, se: 0.1 }), null);
    // counts: a 0/n site's interval is the PLO one, inside [0, 1]
    const zero = siteInterval(spec("sensitivity", "counts"), {
      value: 0,
      counts: { tp: 0, fn: 15, tn: 1, fp: 1 },
    });
    assert.ok(zero && zero.low > 0 && zero.high < 1);
    assert.equal(
      siteInterval(spec("f1", "counts"), { value: 0.8, counts: { tp: 1, fp: 1, tn: 1, fn: 1 } }),
      null,
    );
    assert.equal(poolingOf(spec("x", "mean")).intervalSource, "standard error");
  });

  it("the rank bootstrap's draw of every site once, without sampling error, is the pooled estimate", () => {
    const cases: [MetricSpec, SiteInput[]][] = [
      [spec("auc", "histogram", unit), asah],
      [spec("sensitivity", "counts"), pritz],
      [spec("days", "meta", { estimator: "DL" }), normand],
      [spec("latency", "mean"), [site("a", { value: 0.1 }, 50), site("b", { value: 0.2 }, 150)]],
    ];
    for (const [s, sites] of cases) {
      const data = rankData(s, sites);
      assert.equal(data.length, sites.length);
      const estimate = poolMetric(s, sites).pooled?.estimate;
      const drawn = drawPool(s)(data, () => 0);
      assert.ok(drawn !== null && estimate !== undefined);
      assert.ok(Math.abs(drawn - estimate) < 1e-12, `${s.pooling}: ${drawn} vs ${estimate}`);
      // with sampling error the draw moves (the mean has none)
      const moved = drawPool(s)(data, () => 1);
      assert.equal(moved !== estimate, s.pooling !== "mean", s.pooling);
    }
  });
});
