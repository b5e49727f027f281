/** Which way a metric improves, as the benchmark declares it. */
export type Direction = "higher" | "lower";

/**
 * A statistic that cannot be computed from the data given (no sites, a zero standard error,
 * histograms on different bins…). Returned instead of NaN, so a page can show the reason.
 */
export interface StatsError {
  ok: false;
  /** One sentence, e.g. `site st-olaf: standard error must be a finite number > 0`. */
  error: string;
}

export function statsError(error: string): StatsError {
  return { ok: false, error };
}

/** One site's value of a metric. */
export interface SiteValue {
  site: string;
  value: number;
}

/** True when `a` is strictly better than `b` in the given direction. */
export function isBetter(a: number, b: number, direction: Direction): boolean {
  return direction === "higher" ? a > b : a < b;
}
