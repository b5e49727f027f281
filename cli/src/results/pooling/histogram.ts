/**
 * `histogram` pooling (AUCs): each site's own AUC, as it reported it, with its standard error
 * (the one it reported, DeLong's from its evaluator, else DeLong's from its score histogram),
 * pooled by random effects (./random-effects.ts). Histograms of different sites are never
 * summed: that would compare one hospital's positive cases with another's negative ones.
 */
import type { MetricValue } from "../../governance/types.ts";
import { histogramAuc } from "../../stats/histogram.ts";
import { randomEffectsMethod } from "./random-effects.ts";

/** DeLong's SE from the site's histogram; null when it has none or the AUC has no SE. */
function histogramSe(v: MetricValue): number | null {
  if (!v.histogram) return null;
  const r = histogramAuc(v.histogram);
  return r.ok ? r.se : null;
}

export const histogramPooling = randomEffectsMethod({
  field: "histogram",
  lacking:
    "standard error (reported, or DeLong's from a histogram with two cases of each class, not all tied)",
  intervalSource: "AUC and DeLong standard error",
  explanation:
    "Each hospital's own AUC (how well the model ranks that hospital's patients with the condition above those without) is combined, weighted by its precision; patients of different hospitals are never compared with each other.",
  statistic(_spec, v) {
    if (v.value === null) return null;
    const se = v.se ?? histogramSe(v);
    return se === null ? null : { scale: "natural", estimate: { value: v.value, se } };
  },
});
