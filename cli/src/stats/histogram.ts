import { criticalZ } from "./distributions.ts";
import { type StatsError, statsError } from "./shared.ts";

/**
 * Counts of positive and negative cases per score bin, bins in increasing score order, on the
 * bins the benchmark declares (the same bins at every site).
 */
export interface ScoreHistogram {
  positive: readonly number[];
  negative: readonly number[];
}

export interface SiteHistogram {
  site: string;
  histogram: ScoreHistogram;
}

/** An AUC with its Hanley–McNeil standard error and Wald interval. */
export interface AucEstimate {
  ok: true;
  estimate: number;
  se: number;
  ci_low: number;
  ci_high: number;
  n_positive: number;
  n_negative: number;
}

/** Pooling `histogram`: the AUC of the summed histograms, plus each site's own AUC. */
export interface HistogramPooled extends AucEstimate {
  method: "histogram";
  k: number;
  /** A site whose histogram lacks one class gets an error entry; it still counts in the pool. */
  per_site: ({ site: string } & (AucEstimate | StatsError))[];
}

/**
 * AUC from a score histogram as the Mann–Whitney probability that a positive case scores above a
 * negative one, a positive and a negative in the same bin counting ½ (scores within a bin are
 * unknown, so they are ties). The standard error is Hanley & McNeil's (1982, Radiology 143:29,
 * eq. 2): SE² = [A(1−A) + (n₊−1)(Q₁−A²) + (n₋−1)(Q₂−A²)] / (n₊n₋), Q₁ = A/(2−A),
 * Q₂ = 2A²/(1+A); the interval A ± z·SE is clipped to [0, 1]. It treats cases as independent,
 * so pooled over sites it reflects sampling of cases, not between-site heterogeneity (the site
 * bootstrap of the rank intervals covers that).
 */
export function histogramAuc(histogram: ScoreHistogram, level = 0.95): AucEstimate | StatsError {
  const invalid = checkHistogram(histogram);
  if (invalid !== null) return statsError(invalid);
  const { positive, negative } = histogram;
  let pairs = 0;
  let negativesBelow = 0;
  let nPositive = 0;
  for (let bin = 0; bin < positive.length; bin++) {
    const pos = positive[bin] as number;
    const neg = negative[bin] as number;
    pairs += pos * (negativesBelow + neg / 2);
    negativesBelow += neg;
    nPositive += pos;
  }
  const nNegative = negativesBelow;
  if (nPositive === 0 || nNegative === 0) {
    return statsError(`AUC needs both classes; got ${nPositive} positive and ${nNegative} negative cases`);
  }
  const a = pairs / (nPositive * nNegative);
  const q1 = a / (2 - a);
  const q2 = (2 * a * a) / (1 + a);
  const variance =
    (a * (1 - a) + (nPositive - 1) * (q1 - a * a) + (nNegative - 1) * (q2 - a * a)) / (nPositive * nNegative);
  const se = Math.sqrt(Math.max(0, variance));
  const z = criticalZ(level);
  return {
    ok: true,
    estimate: a,
    se,
    ci_low: Math.max(0, a - z * se),
    ci_high: Math.min(1, a + z * se),
    n_positive: nPositive,
    n_negative: nNegative,
  };
}

/** Bin-wise sum of histograms on the same bins (the caller has checked the bins match). */
export function sumHistograms(histograms: readonly ScoreHistogram[]): ScoreHistogram {
  const bins = histograms[0]?.positive.length ?? 0;
  const positive = new Array<number>(bins).fill(0);
  const negative = new Array<number>(bins).fill(0);
  for (const h of histograms) {
    for (let bin = 0; bin < bins; bin++) {
      positive[bin] = (positive[bin] as number) + (h.positive[bin] as number);
      negative[bin] = (negative[bin] as number) + (h.negative[bin] as number);
    }
  }
  return { positive, negative };
}

/**
 * Pools the AUC across sites by summing the per-site histograms bin by bin and computing one
 * Mann–Whitney AUC on the sums: exactly the AUC of all cases together, as if they had been
 * scored in one place. Site AUCs are never averaged. `bins` is the benchmark's declared bin
 * count; without it every site must use the first site's.
 */
export function poolHistograms(
  sites: readonly SiteHistogram[],
  options: { bins?: number; level?: number } = {},
): HistogramPooled | StatsError {
  const first = sites[0];
  if (first === undefined) return statsError("no site reported a histogram");
  const bins = options.bins ?? first.histogram.positive.length;
  for (const { site, histogram } of sites) {
    const invalid = checkHistogram(histogram);
    if (invalid !== null) return statsError(`site ${site}: ${invalid}`);
    if (histogram.positive.length !== bins) {
      return statsError(`site ${site}: histogram has ${histogram.positive.length} bins, expected ${bins}`);
    }
  }
  const pooled = histogramAuc(sumHistograms(sites.map((s) => s.histogram)), options.level);
  if (!pooled.ok) return pooled;
  return {
    ...pooled,
    method: "histogram",
    k: sites.length,
    per_site: sites.map(({ site, histogram }) => ({ site, ...histogramAuc(histogram, options.level) })),
  };
}

function checkHistogram({ positive, negative }: ScoreHistogram): string | null {
  if (positive.length === 0 || positive.length !== negative.length) {
    return `positive and negative counts must cover the same bins (got ${positive.length} and ${negative.length})`;
  }
  for (const c of [...positive, ...negative]) {
    if (!(Number.isInteger(c) && c >= 0)) return "histogram counts must be non-negative integers";
  }
  return null;
}
