/**
 * One metric pooled across sites by the method the benchmark declares (`pooling`), on top of the
 * statistics in ./stats: what each method needs from a site, what is left out and why, and the
 * single number the rank bootstrap pools over a draw of sites.
 */
import type { MetricSpec, MetricValue, Pooling } from "../governance/types.ts";
import {
  type ConfusionCounts,
  type ProportionName,
  poolCounts,
  proportionEstimate,
} from "../stats/counts.ts";
import { criticalZ } from "../stats/distributions.ts";
import { histogramAuc, poolHistograms, type ScoreHistogram } from "../stats/histogram.ts";
import { caseWeightedMean } from "../stats/mean.ts";
import { metaAnalysis } from "../stats/meta.ts";

/** A metric pooled across sites. */
export interface Pooled {
  method: Pooling;
  /** The τ² estimator (REML, as metafor's default) when there is a τ², else null. */
  estimator: "DL" | "REML" | null;
  estimate: number;
  ci_low: number | null;
  ci_high: number | null;
  /**
   * Heterogeneity between sites: for `meta`, of the meta-analysis; for `histogram`, of a
   * meta-analysis of each site's AUC with its Hanley–McNeil SE. Null for other methods and for
   * one site.
   */
  tau2: number | null;
  i2: number | null;
  q: number | null;
  k: number;
  n: number;
}

/** One site's value of a metric, with the cases it was computed on. */
export interface SiteInput {
  site: string;
  value: MetricValue;
  n: number;
}

export interface PoolOutcome {
  pooled: Pooled | null;
  /** What a reader must know: sites left out, one site only, no interval, or why nothing pooled. */
  note: string | null;
}

/** Metric ids (and common synonyms) that `counts` pooling knows how to compute. */
const PROPORTIONS: Record<string, ProportionName> = {
  sensitivity: "sensitivity",
  recall: "sensitivity",
  tpr: "sensitivity",
  specificity: "specificity",
  tnr: "specificity",
  accuracy: "accuracy",
  ppv: "ppv",
  precision: "ppv",
  npv: "npv",
};

export function proportionOf(metric: string): ProportionName | undefined {
  return PROPORTIONS[metric];
}

/** The statistic a site must report beside its value for the metric's pooling. */
function usable(spec: MetricSpec, v: MetricValue): boolean {
  if (v.value === null) return false;
  switch (spec.pooling) {
    case "histogram":
      return v.histogram !== undefined;
    case "counts":
      return v.counts !== undefined;
    case "meta":
      return v.se !== undefined && v.se > 0;
    case "mean":
      return true;
  }
}

const NEEDS: Record<MetricSpec["pooling"], string> = {
  histogram: "score histogram (AUCs are never averaged)",
  counts: "confusion counts",
  meta: "standard error",
  mean: "value",
};

/** Sites whose value the metric's pooling can use. */
export function usableSites(spec: MetricSpec, sites: readonly SiteInput[]): SiteInput[] {
  return sites.filter((s) => usable(spec, s.value));
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/**
 * Pools a metric over the sites given, by the benchmark's declared method. Sites without a
 * value, or without the statistic the method needs, are left out and the note says how many.
 */
export function poolMetric(spec: MetricSpec, sites: readonly SiteInput[]): PoolOutcome {
  const use = usableSites(spec, sites);
  const notes: string[] = [];
  const noValue = sites.filter((s) => s.value.value === null).length;
  const noStatistic = sites.length - use.length - noValue;
  if (noValue) notes.push(`${plural(noValue, "site")} reported no value`);
  if (noStatistic) notes.push(`${plural(noStatistic, "site")} left out: no ${NEEDS[spec.pooling]}`);
  const n = use.reduce((acc, s) => acc + (s.value.n ?? s.n), 0);
  const done = (pooled: Pooled | null, extra?: string): PoolOutcome => {
    if (extra) notes.push(extra);
    else if (pooled && pooled.k === 1) notes.push("one site: nothing pooled");
    return { pooled, note: notes.length ? `${notes.join("; ")}.` : null };
  };
  if (use.length === 0) return done(null, sites.length ? "nothing to pool" : "no results");
  const k = use.length;
  const pooledOf = (
    method: Pooled["method"],
    fields: Pick<Pooled, "estimate" | "ci_low" | "ci_high"> & Partial<Pooled>,
  ): Pooled => ({
    method,
    estimator: fields.estimator ?? null,
    estimate: fields.estimate,
    ci_low: fields.ci_low,
    ci_high: fields.ci_high,
    tau2: fields.tau2 ?? null,
    i2: fields.i2 ?? null,
    q: fields.q ?? null,
    k,
    n,
  });
  switch (spec.pooling) {
    case "histogram": {
      const r = poolHistograms(
        use.map((s) => ({ site: s.site, histogram: s.value.histogram as ScoreHistogram })),
        { bins: spec.histogram_bins },
      );
      if (!r.ok) return done(null, r.error);
      // how much the sites' own AUCs differ beyond sampling: a meta-analysis of each site's AUC
      // with its Hanley–McNeil SE (the pooled AUC stays the summed histograms')
      const aucs = r.per_site.flatMap((s) =>
        s.ok && s.se > 0 ? [{ site: s.site, value: s.estimate, se: s.se }] : [],
      );
      const h = aucs.length > 1 ? metaAnalysis(aucs) : undefined;
      const heterogeneity = h?.ok ? { estimator: h.estimator, tau2: h.tau2, i2: h.i2, q: h.q } : {};
      return done(
        pooledOf("histogram", {
          estimate: r.estimate,
          ci_low: r.ci_low,
          ci_high: r.ci_high,
          ...heterogeneity,
        }),
      );
    }
    case "counts": {
      const name = proportionOf(spec.id);
      if (!name)
        return done(null, `counts pooling knows ${Object.keys(PROPORTIONS).join(", ")}; not ${spec.id}`);
      const r = poolCounts(use.map((s) => ({ site: s.site, counts: s.value.counts as ConfusionCounts })));
      if (!r.ok) return done(null, r.error);
      const p = r.pooled[name];
      if (!p) return done(null, `the counts give no ${name} (zero denominator)`);
      return done(pooledOf("counts", { estimate: p.estimate, ci_low: p.ci_low, ci_high: p.ci_high }));
    }
    case "meta": {
      const r = metaAnalysis(
        use.map((s) => ({ site: s.site, value: s.value.value as number, se: s.value.se as number })),
      );
      if (!r.ok) return done(null, r.error);
      return done(
        pooledOf("meta", {
          estimator: r.estimator,
          estimate: r.estimate,
          ci_low: r.ci_low,
          ci_high: r.ci_high,
          tau2: r.tau2,
          i2: r.i2,
          q: r.q,
        }),
      );
    }
    case "mean": {
      const r = caseWeightedMean(
        use.map((s) => ({ site: s.site, value: s.value.value as number, n: s.value.n ?? s.n })),
      );
      if (!r.ok) return done(null, r.error);
      return done(
        pooledOf("mean", { estimate: r.estimate, ci_low: null, ci_high: null }),
        r.k > 1 ? "case-weighted mean: no interval (sites report no standard errors)" : undefined,
      );
    }
  }
}

/**
 * A site's own 95% interval: the one it reported, else one computed from the statistic it
 * reported (Hanley–McNeil from its histogram, Wilson from its counts, value ± z·se). Null when
 * the site gave nothing to build one from.
 */
export function siteInterval(
  spec: MetricSpec,
  v: MetricValue,
): { low: number; high: number; reported: boolean } | null {
  if (v.value === null) return null;
  if (v.ci) return { low: v.ci[0], high: v.ci[1], reported: true };
  if (v.histogram) {
    const r = histogramAuc(v.histogram);
    if (r.ok) return { low: r.ci_low, high: r.ci_high, reported: false };
  }
  const name = proportionOf(spec.id);
  if (v.counts && name) {
    const r = poolCounts([{ site: "site", counts: v.counts }]);
    const p = r.ok ? r.pooled[name] : null;
    if (p) return { low: p.ci_low, high: p.ci_high, reported: false };
  }
  if (v.se !== undefined && v.se > 0) {
    const z = criticalZ(0.95);
    return { low: v.value - z * v.se, high: v.value + z * v.se, reported: false };
  }
  return null;
}

/** A site's data as the rank bootstrap handles it: the input, and for histograms its bins packed. */
export interface RankDatum {
  input: SiteInput;
  /**
   * For `histogram` pooling: one array per model, bin-major (every site's count of positive
   * bin 0, then of bin 1, …, then the negative bins), so a bin's total over a draw is one dot
   * product over contiguous memory; null for other methods.
   */
  packed: Float64Array | null;
  /** This site's position among the model's sites. */
  index: number;
  /** Positive plus negative bins. */
  width: number;
}

/** The rank bootstrap's data for one model's sites. */
export function rankData(spec: MetricSpec, inputs: readonly SiteInput[]): RankDatum[] {
  const first = inputs[0]?.value.histogram;
  if (spec.pooling !== "histogram" || !first)
    return inputs.map((input, index) => ({ input, packed: null, index, width: 0 }));
  const bins = first.positive.length;
  const sites = inputs.length;
  const packed = new Float64Array(2 * bins * sites);
  inputs.forEach((input, index) => {
    const h = input.value.histogram as ScoreHistogram;
    for (let b = 0; b < bins; b++) {
      packed[b * sites + index] = h.positive[b] as number;
      packed[(bins + b) * sites + index] = h.negative[b] as number;
    }
  });
  return inputs.map((input, index) => ({ input, packed, index, width: 2 * bins }));
}

/**
 * The pooled value of a draw of sites (duplicates included) for the rank bootstrap: the same
 * method as `poolMetric`, reduced to the estimate. Sites must already be usable.
 */
export function drawPool(spec: MetricSpec): (draw: readonly RankDatum[]) => number | null {
  switch (spec.pooling) {
    case "histogram": {
      // A thousand draws of every model, each over a thousand sites: count how often each site
      // was drawn, then each bin's total is one dot product of those counts with the bin's
      // per-site column (the draw's own order is random, which would miss the cache per site).
      let times = new Float64Array(0);
      return (draw) => {
        const first = draw[0];
        if (!first?.packed) return null;
        const { packed, width } = first;
        const sites = packed.length / width;
        if (times.length !== sites) times = new Float64Array(sites);
        else times.fill(0);
        for (const d of draw) {
          if (d.packed !== packed) throw new Error("a draw pools the sites of one model");
          times[d.index] = (times[d.index] as number) + 1;
        }
        const bins = width / 2;
        const positive = new Array<number>(bins);
        const negative = new Array<number>(bins);
        for (let b = 0; b < width; b++) {
          let total = 0;
          const at = b * sites;
          for (let site = 0; site < sites; site++)
            total += (times[site] as number) * (packed[at + site] as number);
          if (b < bins) positive[b] = total;
          else negative[b - bins] = total;
        }
        const r = histogramAuc({ positive, negative });
        return r.ok ? r.estimate : null;
      };
    }
    case "counts": {
      const name = proportionOf(spec.id);
      return (draw) => {
        if (!name) return null;
        const total: Required<ConfusionCounts> = { tp: 0, fp: 0, tn: 0, fn: 0 };
        for (const { input } of draw) {
          const c = input.value.counts as Required<ConfusionCounts>;
          total.tp += c.tp;
          total.fp += c.fp;
          total.tn += c.tn;
          total.fn += c.fn;
        }
        // only the estimate: a bootstrap replicate needs no interval
        return proportionEstimate(total, name);
      };
    }
    case "meta":
      return (draw) => {
        const r = metaAnalysis(
          draw.map(({ input }) => ({
            site: input.site,
            value: input.value.value as number,
            se: input.value.se as number,
          })),
        );
        return r.ok ? r.estimate : null;
      };
    case "mean":
      return (draw) => {
        const r = caseWeightedMean(
          draw.map(({ input }) => ({
            site: input.site,
            value: input.value.value as number,
            n: input.value.n ?? input.n,
          })),
        );
        return r.ok ? r.estimate : null;
      };
  }
}
