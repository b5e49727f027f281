/**
 * `counts` pooling (sensitivity, specificity, accuracy, PPV, NPV): each site's proportion from
 * its confusion counts as a logit proportion (metafor's `escalc(measure = "PLO")`, ½ added to a
 * 0 or n cell), pooled by random effects (./random-effects.ts).
 */
import { type ProportionName, proportionCounts } from "../../stats/counts.ts";
import { logitProportion } from "../../stats/scale.ts";
import { randomEffectsMethod } from "./random-effects.ts";

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

/** The proportion a metric id names, when the confusion counts define it. */
export function proportionOf(metric: string): ProportionName | undefined {
  return PROPORTIONS[metric];
}

export const countsPooling = randomEffectsMethod({
  field: "counts",
  lacking: "confusion counts (or a metric the counts define)",
  intervalSource: "confusion counts (logit proportion)",
  explanation:
    "Each hospital's proportion is computed from its own counts of patients and combined on the log-odds scale, weighted by its number of patients, allowing the true proportion to differ between hospitals (random effects).",
  statistic(spec, v) {
    const name = proportionOf(spec.id);
    if (!name || !v.counts) return null;
    const c = proportionCounts(v.counts, name);
    if (c === null) return null;
    const r = logitProportion(c.successes, c.total);
    return "ok" in r ? null : { scale: "logit", estimate: r };
  },
});
