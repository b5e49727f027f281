import { type SiteValue, type StatsError, statsError } from "./shared.ts";

/** One site's value of a metric with the number of cases it was computed on. */
export interface SiteMeasurement {
  site: string;
  value: number;
  n: number;
}

/** Pooling `mean`: the case-weighted mean across sites, with the range of site values. */
export interface MeanPooled {
  ok: true;
  method: "mean";
  /** Σ nᵢ·valueᵢ / Σ nᵢ. */
  estimate: number;
  /** Sites pooled. */
  k: number;
  /** Cases pooled, Σ nᵢ. */
  n: number;
  /** Lowest and highest site values (first site listed wins a tie). */
  min: SiteValue;
  max: SiteValue;
}

/**
 * Case-weighted mean of per-site values: a site with 2,000 cases counts 2,000 times, a site
 * with 20 cases 20 times. No interval is claimed (there is no standard error to build one from);
 * the range across sites is returned instead.
 */
export function caseWeightedMean(sites: readonly SiteMeasurement[]): MeanPooled | StatsError {
  const first = sites[0];
  if (first === undefined) return statsError("no site reported a value");
  let weighted = 0;
  let n = 0;
  let min: SiteValue = first;
  let max: SiteValue = first;
  for (const s of sites) {
    if (!Number.isFinite(s.value)) return statsError(`site ${s.site}: value must be a finite number`);
    if (!(Number.isFinite(s.n) && s.n > 0)) return statsError(`site ${s.site}: case count must be > 0`);
    weighted += s.n * s.value;
    n += s.n;
    if (s.value < min.value) min = s;
    if (s.value > max.value) max = s;
  }
  return {
    ok: true,
    method: "mean",
    estimate: weighted / n,
    k: sites.length,
    n,
    min: { site: min.site, value: min.value },
    max: { site: max.site, value: max.value },
  };
}
