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
import type { Pooled, PoolingMethod, RankDatum, SiteInput } from "./pooling/method.ts";

/** Every pooling method, by the name a benchmark declares. */
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
  /** What a reader must know: sites left out, few sites, the scale, no interval, or why nothing pooled. */
  note: string | null;
}

/** Sites whose value the metric's pooling can use. */
export function usableSites(spec: MetricSpec, sites: readonly SiteInput[]): SiteInput[] {
  const method = poolingOf(spec);
  return sites.filter((s) => s.value.value !== null && method.usable(spec, s.value));
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** What a reader must know about the number of sites pooled (IntHout et al. 2014: few studies). */
function fewSites(pooled: Pooled): string | null {
  if (pooled.k === 1) return "one site: nothing pooled, the site's own value and interval";
  if (pooled.method !== "random-effects" || pooled.k > 4) return null;
  return pooled.k === 2
    ? "only 2 sites: the interval is wide by design, and no prediction interval can be given (it needs 3)"
    : `only ${pooled.k} sites: the intervals are wide by design`;
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
  const done = (pooled: Pooled | null): PoolOutcome => ({
    pooled,
    note: notes.length ? `${notes.join("; ")}.` : null,
  });
  if (use.length === 0) {
    notes.push(sites.length ? "nothing to pool" : "no results");
    return done(null);
  }
  const r = method.pool(spec, use);
  if (!r.ok) {
    notes.push(r.error);
    return done(null);
  }
  const pooled: Pooled = {
    ...r.fields,
    k: use.length,
    n: use.reduce((acc, s) => acc + (s.value.n ?? s.n), 0),
  };
  const few = fewSites(pooled);
  if (few) notes.push(few);
  notes.push(...r.notes);
  return done(pooled);
}

/**
 * A site's own 95% interval: the one it reported, else one computed from the statistic its
 * metric pools (its AUC and DeLong SE, its counts, its value and SE) on the same scale. Null
 * when the site gave nothing to build one from.
 */
export function siteInterval(
  spec: MetricSpec,
  v: MetricValue,
): { low: number; high: number; reported: boolean } | null {
  if (v.value === null) return null;
  if (v.ci) return { low: v.ci[0], high: v.ci[1], reported: true };
  const computed = poolingOf(spec).siteInterval?.(spec, v);
  return computed ? { ...computed, reported: false } : null;
}

/** The rank bootstrap's data for one model's sites. */
export function rankData(spec: MetricSpec, inputs: readonly SiteInput[]): RankDatum[] {
  return poolingOf(spec).rankData(spec, inputs);
}

/**
 * The pooled value of a draw of sites (duplicates included) for the rank bootstrap: the same
 * method as `poolMetric`, reduced to the estimate. Sites must already be usable.
 */
export function drawPool(
  spec: MetricSpec,
): (draw: readonly RankDatum[], normal: () => number) => number | null {
  return poolingOf(spec).draw(spec);
}
