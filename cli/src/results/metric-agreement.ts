/**
 * Whether a metric's value agrees with the statistic reported beside it. The leaderboard shows
 * the value but pools, and builds intervals from, the confusion counts or the score histogram:
 * a value that disagrees with them (an evaluator bug, or an edited result) would put two
 * different numbers for one site on the public page.
 *
 * - Counts, for a metric the counts define (sensitivity, specificity, accuracy, PPV, NPV and
 *   their synonyms): the value must equal the proportion, within VALUE_TOLERANCE.
 * - Histogram, for a metric pooled by `histogram` (an AUC): the exact AUC of the cases lies within
 *   ± half the share of positive–negative pairs that fall in the same bin of the histogram's
 *   AUC (a tied pair counts ½ there and between 0 and 1 in truth), so the value must lie within
 *   that bound plus VALUE_TOLERANCE.
 * - Either must not hold more cases than the result (or subgroup cell) reports.
 */
import type { MetricSpec, MetricValue } from "../governance/types.ts";
import { proportionEstimate } from "../stats/counts.ts";
import { histogramAuc, type ScoreHistogram } from "../stats/histogram.ts";
import { proportionOf } from "./pooling/counts.ts";

/** Rounding allowed in a reported value: values given to two decimals agree. */
export const VALUE_TOLERANCE = 0.005;

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const round = (x: number) => Number(x.toFixed(4));

/** Share of positive–negative pairs in the same bin. */
export function tiedPairShare(h: ScoreHistogram): number {
  const pairs = sum(h.positive) * sum(h.negative);
  if (pairs === 0) return 0;
  return h.positive.reduce((acc, p, bin) => acc + p * (h.negative[bin] ?? 0), 0) / pairs;
}

export interface Disagreement {
  /** Says what disagrees without any value or count: fit for a site's logs before approval. */
  reason: string;
  /** The same with the numbers, for a published result. */
  detail: string;
}

/**
 * How `v` disagrees with its own counts or histogram; undefined when it agrees (or carries
 * nothing to check). `n`: the cases of the result or subgroup cell it belongs to.
 */
export function metricDisagreement(spec: MetricSpec, v: MetricValue, n: number): Disagreement | undefined {
  const cases = v.n ?? n;
  for (const [what, total] of [
    ["counts hold", v.counts && v.counts.tp + v.counts.fp + v.counts.tn + v.counts.fn],
    ["histogram holds", v.histogram && sum(v.histogram.positive) + sum(v.histogram.negative)],
  ] as const) {
    if (total !== undefined && total > cases)
      return {
        reason: `its ${what} more cases than the result reports`,
        detail: `${spec.id} ${what} ${total} cases, more than the ${cases} reported`,
      };
  }
  if (v.value === null) return undefined;
  const name = proportionOf(spec.id);
  if (v.counts && name) {
    const p = proportionEstimate(v.counts, name);
    if (p !== null && Math.abs(v.value - p) > VALUE_TOLERANCE)
      return {
        reason: `the value disagrees with the ${name} of its confusion counts`,
        detail: `${spec.id} = ${v.value}, but its counts give ${round(p)}`,
      };
  }
  if (v.histogram && spec.pooling === "histogram") {
    const r = histogramAuc(v.histogram);
    const bound = tiedPairShare(v.histogram) / 2;
    if (r.ok && Math.abs(v.value - r.estimate) > bound + VALUE_TOLERANCE)
      return {
        reason: "the value disagrees with the AUC of its score histogram",
        detail: `${spec.id} = ${v.value}, but its histogram gives ${round(r.estimate)} ± ${round(bound)} (pairs tied in a bin)`,
      };
  }
  return undefined;
}
