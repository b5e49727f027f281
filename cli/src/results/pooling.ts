/**
 * One metric pooled across sites by the method the benchmark declares (`pooling`), on top of the
 * statistics in ../stats: the registry of methods (one record each, in ./pooling/), what is left
 * out and why, a site's own interval, and the rank bootstrap's data and draw.
 */
import type { MetricSpec, MetricValue, Pooling } from "../governance/types.ts";
import { countsPooling } from "./pooling/counts.ts";
import { histogramPooling } from "./pooling/histogram.ts";
import { meanPooling } from "./pooling/mean.ts";
import { metaPooling } from "./pooling/meta.ts";
import {
  type Pooled,
  type PoolingMethod,
  type RankDatum,
  type SiteInput,
  unpacked,
} from "./pooling/method.ts";

/**
 * Every pooling method, by the name a benchmark declares. A site's computed interval is tried in
 * this order: the first statistic the site reported gives it.
 */
export const POOLING_METHODS: Readonly<Record<Pooling, PoolingMethod>> = {
  histogram: histogramPooling,
  counts: countsPooling,
  meta: metaPooling,
  mean: meanPooling,
};

/** The method a metric pools by. */
export function poolingOf(spec: Pick<MetricSpec, "pooling">): PoolingMethod {
  return POOLING_METHODS[spec.pooling];
}

export interface PoolOutcome {
  pooled: Pooled | null;
  /** What a reader must know: sites left out, one site only, no interval, or why nothing pooled. */
  note: string | null;
}

/** Sites whose value the metric's pooling can use. */
export function usableSites(spec: MetricSpec, sites: readonly SiteInput[]): SiteInput[] {
  const method = poolingOf(spec);
  return sites.filter((s) => s.value.value !== null && method.usable(s.value));
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/**
 * Pools a metric over the sites given, by the benchmark's declared method. Sites without a
 * value, or without the statistic the method needs, are left out and the note says how many.
 */
export function poolMetric(spec: MetricSpec, sites: readonly SiteInput[]): PoolOutcome {
  const method = poolingOf(spec);
  const use = usableSites(spec, sites);
  const notes: string[] = [];
  const noValue = sites.filter((s) => s.value.value === null).length;
  const noStatistic = sites.length - use.length - noValue;
  if (noValue) notes.push(`${plural(noValue, "site")} reported no value`);
  if (noStatistic) notes.push(`${plural(noStatistic, "site")} left out: no ${method.lacking}`);
  const done = (pooled: Pooled | null, extra?: string): PoolOutcome => {
    if (extra) notes.push(extra);
    else if (pooled && pooled.k === 1) notes.push("one site: nothing pooled");
    return { pooled, note: notes.length ? `${notes.join("; ")}.` : null };
  };
  if (use.length === 0) return done(null, sites.length ? "nothing to pool" : "no results");
  const r = method.pool(spec, use);
  if (!r.ok) return done(null, r.error);
  const { fields } = r;
  return done(
    {
      method: spec.pooling,
      estimator: fields.estimator ?? null,
      estimate: fields.estimate,
      ci_low: fields.ci_low,
      ci_high: fields.ci_high,
      tau2: fields.tau2 ?? null,
      i2: fields.i2 ?? null,
      q: fields.q ?? null,
      k: use.length,
      n: use.reduce((acc, s) => acc + (s.value.n ?? s.n), 0),
    },
    r.note,
  );
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
  for (const method of Object.values(POOLING_METHODS)) {
    const computed = method.siteInterval?.(spec, v);
    if (computed) return { ...computed, reported: false };
  }
  return null;
}

/** The rank bootstrap's data for one model's sites. */
export function rankData(spec: MetricSpec, inputs: readonly SiteInput[]): RankDatum[] {
  const method = poolingOf(spec);
  return method.rankData ? method.rankData(inputs) : unpacked(inputs);
}

/**
 * The pooled value of a draw of sites (duplicates included) for the rank bootstrap: the same
 * method as `poolMetric`, reduced to the estimate. Sites must already be usable.
 */
export function drawPool(spec: MetricSpec): (draw: readonly RankDatum[]) => number | null {
  return poolingOf(spec).draw(spec);
}
