/**
 * The pooling registry (results/pooling.ts): each method's record against the statistics it is
 * built on, what is left out and why, a site's computed interval, and the rank bootstrap's draw,
 * which over every site once must give the pooled estimate.
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
import { poolCounts } from "../../src/stats/counts.ts";
import { criticalZ } from "../../src/stats/distributions.ts";
import { histogramAuc, poolHistograms } from "../../src/stats/histogram.ts";
import { caseWeightedMean } from "../../src/stats/mean.ts";
import { metaAnalysis } from "../../src/stats/meta.ts";

type Histogram = NonNullable<MetricValue["histogram"]>;
type Counts = NonNullable<MetricValue["counts"]>;

const spec = (id: string, pooling: Pooling): MetricSpec => ({
  id,
  group: "accuracy",
  direction: "higher",
  pooling,
});
const site = (name: string, value: MetricValue, n = 100): SiteInput => ({ site: name, value, n });

const histograms: SiteInput[] = [
  site("a", { value: 0.8, histogram: { bins: 4, positive: [1, 2, 5, 12], negative: [20, 10, 4, 2] } }),
  site("b", { value: 0.7, histogram: { bins: 4, positive: [3, 4, 6, 7], negative: [15, 12, 8, 5] } }),
  site("c", { value: 0.75, histogram: { bins: 4, positive: [2, 2, 8, 8], negative: [18, 9, 9, 4] } }),
];
const counts: SiteInput[] = [
  site("a", { value: 0.8, counts: { tp: 40, fp: 10, tn: 40, fn: 10 } }),
  site("b", { value: 0.7, counts: { tp: 35, fp: 20, tn: 30, fn: 15 } }),
];
const estimates: SiteInput[] = [
  site("a", { value: 0.81, se: 0.03 }),
  site("b", { value: 0.74, se: 0.05 }),
  site("c", { value: 0.78, se: 0.04 }),
];
const values: SiteInput[] = [site("a", { value: 0.1 }, 50), site("b", { value: 0.2, n: 150 }, 999)];

describe("pooling methods", () => {
  it("the registry holds one record per declared method", () => {
    assert.deepEqual(Object.keys(POOLING_METHODS).sort(), ["counts", "histogram", "mean", "meta"]);
    assert.deepEqual(Object.fromEntries(Object.entries(POOLING_METHODS).map(([k, m]) => [k, m.field])), {
      histogram: "histogram",
      counts: "counts",
      meta: "se",
      mean: null,
    });
  });

  it("histogram: the AUC of the summed histograms, heterogeneity from the sites' own AUCs", () => {
    const { pooled, note } = poolMetric(spec("auc", "histogram"), histograms);
    const r = poolHistograms(
      histograms.map((s) => ({ site: s.site, histogram: s.value.histogram as Histogram })),
      {},
    );
    assert.ok(r.ok && pooled);
    assert.equal(pooled.estimate, r.estimate);
    assert.equal(pooled.ci_low, r.ci_low);
    assert.equal(pooled.method, "histogram");
    assert.equal(pooled.k, 3);
    assert.equal(pooled.n, 300);
    assert.notEqual(pooled.i2, null);
    assert.equal(note, null);
  });

  it("counts: the proportion of the summed counts; a metric the counts do not define does not pool", () => {
    const { pooled } = poolMetric(spec("sensitivity", "counts"), counts);
    const r = poolCounts(counts.map((s) => ({ site: s.site, counts: s.value.counts as Counts })));
    assert.ok(r.ok && pooled);
    assert.equal(pooled.estimate, r.pooled.sensitivity?.estimate);
    assert.equal(pooled.estimate, 75 / 100);
    const other = poolMetric(spec("f1", "counts"), counts);
    assert.equal(other.pooled, null);
    assert.match(other.note ?? "", /counts pooling knows .*; not f1\.$/);
  });

  it("meta: the random-effects meta-analysis with its estimator and heterogeneity", () => {
    const { pooled } = poolMetric(spec("auc", "meta"), estimates);
    const r = metaAnalysis(
      estimates.map((s) => ({ site: s.site, value: s.value.value as number, se: s.value.se as number })),
    );
    assert.ok(r.ok && pooled);
    assert.deepEqual(
      [pooled.estimator, pooled.estimate, pooled.ci_low, pooled.ci_high, pooled.tau2, pooled.i2, pooled.q],
      [r.estimator, r.estimate, r.ci_low, r.ci_high, r.tau2, r.i2, r.q],
    );
  });

  it("mean: case-weighted (a value's own n first), no interval, and says so", () => {
    const { pooled, note } = poolMetric(spec("ece", "mean"), values);
    const r = caseWeightedMean([
      { site: "a", value: 0.1, n: 50 },
      { site: "b", value: 0.2, n: 150 },
    ]);
    assert.ok(r.ok && pooled);
    assert.equal(pooled.estimate, r.estimate);
    assert.equal(pooled.n, 200);
    assert.equal(pooled.ci_low, null);
    assert.equal(note, "case-weighted mean: no interval (sites report no standard errors).");
    assert.equal(poolMetric(spec("ece", "mean"), values.slice(0, 1)).note, "one site: nothing pooled.");
  });

  it("leaves out sites without a value or without the method's statistic, and says how many", () => {
    const sites = [
      ...estimates,
      site("d", { value: 0.7 }),
      site("e", { value: null, reason: "model-error" }),
    ];
    const auc = spec("auc", "meta");
    assert.deepEqual(
      usableSites(auc, sites).map((s) => s.site),
      ["a", "b", "c"],
    );
    assert.equal(
      poolMetric(auc, sites).note,
      "1 site reported no value; 1 site left out: no standard error.",
    );
    assert.equal(
      poolMetric(spec("auc", "histogram"), [site("a", { value: 0.8 })]).note,
      "1 site left out: no score histogram (AUCs are never averaged); nothing to pool.",
    );
    assert.equal(poolMetric(auc, []).note, "no results.");
  });

  it("a site's interval: reported, else from its histogram, counts or standard error, in that order", () => {
    const h = histograms[0]?.value as MetricValue;
    const auc = histogramAuc(h.histogram as Histogram);
    assert.ok(auc.ok);
    assert.deepEqual(siteInterval(spec("auc", "meta"), { ...h, se: 0.01 }), {
      low: auc.ci_low,
      high: auc.ci_high,
      reported: false,
    });
    assert.deepEqual(siteInterval(spec("auc", "meta"), { value: 0.8, ci: [0.7, 0.9], se: 0.01 }), {
      low: 0.7,
      high: 0.9,
      reported: true,
    });
    const z = criticalZ(0.95);
    assert.deepEqual(siteInterval(spec("ece", "mean"), { value: 0.5, se: 0.1 }), {
      low: 0.5 - z * 0.1,
      high: 0.5 + z * 0.1,
      reported: false,
    });
    assert.equal(siteInterval(spec("ece", "mean"), { value: 0.5 }), null);
    assert.equal(siteInterval(spec("ece", "mean"), { value: null, se: 0.1 }), null);
    // counts give an interval only for a metric they define
    assert.equal(
      siteInterval(spec("f1", "counts"), { value: 0.8, counts: { tp: 1, fp: 1, tn: 1, fn: 1 } }),
      null,
    );
    assert.equal(poolingOf(spec("x", "mean")).intervalSource, "standard error");
  });

  it("the rank bootstrap's draw of every site once is the pooled estimate", () => {
    const cases: [MetricSpec, SiteInput[]][] = [
      [spec("auc", "histogram"), histograms],
      [spec("sensitivity", "counts"), counts],
      [spec("auc", "meta"), estimates],
      [spec("ece", "mean"), values],
    ];
    for (const [s, sites] of cases) {
      const data = rankData(s, sites);
      assert.equal(data.length, sites.length);
      assert.equal(
        data.some((d) => d.packed !== null),
        s.pooling === "histogram",
        s.pooling,
      );
      const estimate = poolMetric(s, sites).pooled?.estimate;
      const drawn = drawPool(s)(data);
      assert.ok(drawn !== null && estimate !== undefined);
      assert.ok(Math.abs(drawn - estimate) < 1e-12, `${s.pooling}: ${drawn} vs ${estimate}`);
    }
  });
});
