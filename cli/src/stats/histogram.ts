import { type StatsError, statsError } from "./shared.ts";

/**
 * Counts of positive and negative cases per score bin, bins in increasing score order, on the
 * bins the benchmark declares (the same bins at every site).
 */
export interface ScoreHistogram {
  positive: readonly number[];
  negative: readonly number[];
}

/** One site's AUC from its histogram, with DeLong's standard error. */
export interface AucEstimate {
  ok: true;
  estimate: number;
  /** DeLong's SE; null with fewer than two cases of a class (its variance is then undefined). */
  se: number | null;
  n_positive: number;
  n_negative: number;
}

/**
 * AUC from one site's score histogram as the Mann–Whitney probability that a positive case
 * scores above a negative one, a positive and a negative in the same bin counting ½ (scores
 * within a bin are unknown, so they are ties), and DeLong's standard error (DeLong, DeLong &
 * Clarke-Pearson 1988, Biometrics 44:837) with ties counting ½ as pROC's `var(roc, method =
 * "delong")`: each positive's placement V₁₀ = (negatives below + ½ negatives in its bin)/n₋, each
 * negative's V₀₁ = (positives above + ½ positives in its bin)/n₊, and
 * SE² = Σ(V₁₀ − A)²/((n₊ − 1)n₊) + Σ(V₀₁ − A)²/((n₋ − 1)n₋).
 * Histograms of different sites are never summed: that would compare one hospital's positives
 * with another's negatives.
 */
export function histogramAuc(histogram: ScoreHistogram): AucEstimate | StatsError {
  const invalid = checkHistogram(histogram);
  if (invalid !== null) return statsError(invalid);
  const { positive, negative } = histogram;
  const nPositive = sum(positive);
  const nNegative = sum(negative);
  if (nPositive === 0 || nNegative === 0) {
    return statsError(`AUC needs both classes; got ${nPositive} positive and ${nNegative} negative cases`);
  }
  // placements per bin: v10[b] for a positive in bin b, v01[b] for a negative in bin b
  const bins = positive.length;
  const v10 = new Array<number>(bins);
  const v01 = new Array<number>(bins);
  let negativesBelow = 0;
  for (let b = 0; b < bins; b++) {
    const neg = negative[b] as number;
    v10[b] = (negativesBelow + neg / 2) / nNegative;
    negativesBelow += neg;
  }
  let positivesAbove = 0;
  for (let b = bins - 1; b >= 0; b--) {
    const pos = positive[b] as number;
    v01[b] = (positivesAbove + pos / 2) / nPositive;
    positivesAbove += pos;
  }
  // pairs won, ties counting ½, over all pairs: exact in binary for small counts
  let pairs = 0;
  negativesBelow = 0;
  for (let b = 0; b < bins; b++) {
    const neg = negative[b] as number;
    pairs += (positive[b] as number) * (negativesBelow + neg / 2);
    negativesBelow += neg;
  }
  const a = pairs / (nPositive * nNegative);
  let s10 = 0;
  let s01 = 0;
  for (let b = 0; b < bins; b++) {
    s10 += (positive[b] as number) * ((v10[b] as number) - a) ** 2;
    s01 += (negative[b] as number) * ((v01[b] as number) - a) ** 2;
  }
  const se =
    nPositive < 2 || nNegative < 2
      ? null
      : Math.sqrt(s10 / ((nPositive - 1) * nPositive) + s01 / ((nNegative - 1) * nNegative));
  return { ok: true, estimate: a, se, n_positive: nPositive, n_negative: nNegative };
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

function sum(values: readonly number[]): number {
  let total = 0;
  for (const x of values) total += x;
  return total;
}
