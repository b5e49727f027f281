/**
 * The pooling every metric with a standard error shares (`histogram`, `counts`, `meta`): each
 * site's value and SE on the working scale, a random-effects meta-analysis (REML, or DL when the
 * benchmark asks) with the modified Hartung–Knapp–Sidik–Jonkman interval and, for three sites
 * or more, a prediction interval, back on the metric's own scale (Debray et al. 2019, Stat
 * Methods Med Res 28:2768). A method record differs only in where a site's statistic comes from.
 */
import type { MetricSpec, MetricValue } from "../../governance/types.ts";
import { criticalZ } from "../../stats/distributions.ts";
import { metaAnalysis, metaEstimate } from "../../stats/meta.ts";
import { fromScale, type Scale, type ScaledEstimate, toScale } from "../../stats/scale.ts";
import type { ComputedInterval, PooledFields, PoolingMethod, RankDatum, SiteInput } from "./method.ts";

/**
 * A site's statistic: its value and SE on the metric's own scale (`natural`), or already on the
 * logit scale (`logit`, a logit proportion from counts); null when the site has none.
 */
export type SiteStatistic = { scale: "natural" | "logit"; estimate: ScaledEstimate };

/** What distinguishes one random-effects method: where a site's statistic comes from. */
export type RandomEffectsParts = Pick<
  PoolingMethod,
  "field" | "lacking" | "intervalSource" | "explanation"
> & {
  statistic(spec: MetricSpec, v: MetricValue): SiteStatistic | null;
};

const boundedOnUnit = (spec: MetricSpec) => spec.range?.[0] === 0 && spec.range?.[1] === 1;

/** A statistic usable for pooling: a finite value and a finite SE > 0. */
function weighable(s: SiteStatistic | null): s is SiteStatistic {
  return (
    s !== null && Number.isFinite(s.estimate.value) && Number.isFinite(s.estimate.se) && s.estimate.se > 0
  );
}

/**
 * The working scale of a set of statistics: logit when all are logit already, or when the
 * metric is declared on [0, 1] and every value lies strictly inside; else the metric's own.
 */
function scaleOf(spec: MetricSpec, statistics: readonly SiteStatistic[]): { scale: Scale; onBound: boolean } {
  if (statistics.every((s) => s.scale === "logit")) return { scale: "logit", onBound: false };
  if (!boundedOnUnit(spec)) return { scale: "identity", onBound: false };
  const onBound = statistics.some(
    (s) => s.scale === "natural" && !(s.estimate.value > 0 && s.estimate.value < 1),
  );
  return { scale: onBound ? "identity" : "logit", onBound };
}

function working(scale: Scale, s: SiteStatistic): ScaledEstimate {
  if (s.scale === "logit") return s.estimate;
  return toScale(scale, s.estimate);
}

/** Clips to the metric's declared range; says whether anything moved. */
function clipper(spec: MetricSpec): { clip: (x: number | null) => number | null; clipped: () => boolean } {
  let moved = false;
  const clip = (x: number | null) => {
    if (x === null || !spec.range) return x;
    const y = Math.min(spec.range[1], Math.max(spec.range[0], x));
    if (y !== x) moved = true;
    return y;
  };
  return { clip, clipped: () => moved };
}

/** A random-effects method record from its parts. */
export function randomEffectsMethod(parts: RandomEffectsParts): PoolingMethod {
  const statistics = (spec: MetricSpec, sites: readonly SiteInput[]) =>
    sites.map((s) => parts.statistic(spec, s.value) as SiteStatistic);
  return {
    field: parts.field,
    lacking: parts.lacking,
    intervalSource: parts.intervalSource,
    explanation: parts.explanation,
    usable: (spec, v) => weighable(parts.statistic(spec, v)),
    pool(spec, sites) {
      const stats = statistics(spec, sites);
      const { scale, onBound } = scaleOf(spec, stats);
      const estimator = spec.estimator ?? "REML";
      const r = metaAnalysis(
        sites.map((s, i) => ({ site: s.site, ...working(scale, stats[i] as SiteStatistic) })),
        { estimator },
      );
      if (!r.ok) return r;
      const back = (x: number | null) => (x === null ? null : fromScale(scale, x));
      const { clip, clipped } = clipper(spec);
      const fields: PooledFields = {
        method: "random-effects",
        estimator,
        scale,
        interval: r.pooled ? "hksj" : "wald",
        estimate: back(r.estimate) as number,
        ci_low: clip(back(r.ci_low)),
        ci_high: clip(back(r.ci_high)),
        pi_low: clip(back(r.pi_low)),
        pi_high: clip(back(r.pi_high)),
        tau2: r.tau2,
        tau2_ci: r.tau2_ci,
        i2: r.i2,
        i2_ci: r.i2_ci,
        q: r.q,
      };
      const notes: string[] = [];
      if (onBound) notes.push("a site's value lies on a bound of [0, 1], so it is pooled on its own scale");
      if (clipped()) notes.push(`intervals cut at the metric's range [${spec.range?.join(", ")}]`);
      return { ok: true, fields, notes };
    },
    siteInterval(spec, v) {
      const s = parts.statistic(spec, v);
      if (!weighable(s)) return null;
      const { scale } = scaleOf(spec, [s]);
      const { value, se } = working(scale, s);
      const z = criticalZ(0.95);
      const { clip } = clipper(spec);
      return {
        low: clip(fromScale(scale, value - z * se)) as number,
        high: clip(fromScale(scale, value + z * se)) as number,
      } satisfies ComputedInterval;
    },
    rankData(spec, sites) {
      const stats = statistics(spec, sites);
      const { scale } = scaleOf(spec, stats);
      return sites.map((input, i) => ({ input, scale, ...working(scale, stats[i] as SiteStatistic) }));
    },
    draw(spec) {
      const estimator = spec.estimator ?? "REML";
      // one buffer per model's draws: a replicate allocates nothing
      let y = new Float64Array(0);
      let v = new Float64Array(0);
      return (draw: readonly RankDatum[], normal) => {
        const first = draw[0];
        if (!first) return null;
        if (y.length !== draw.length) {
          y = new Float64Array(draw.length);
          v = new Float64Array(draw.length);
        }
        for (let i = 0; i < draw.length; i++) {
          const d = draw[i] as RankDatum;
          const se = d.se as number;
          y[i] = d.value + se * normal();
          v[i] = se * se;
        }
        const estimate = metaEstimate(y, v, estimator);
        return estimate === null ? null : fromScale(first.scale, estimate);
      };
    },
  };
}
