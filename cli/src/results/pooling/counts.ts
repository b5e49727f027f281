/**
 * `counts` pooling (sensitivity, specificity, accuracy, PPV, NPV): the sites' confusion counts
 * are summed and the proportion taken of the sum, with a Wilson interval.
 */
import type { MetricSpec } from "../../governance/types.ts";
import {
  type ConfusionCounts,
  type ProportionName,
  poolCounts,
  proportionEstimate,
} from "../../stats/counts.ts";
import type { ComputedInterval, PoolingMethod } from "./method.ts";

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

export const countsPooling: PoolingMethod = {
  field: "counts",
  lacking: "confusion counts",
  intervalSource: "counts",
  usable: (v) => v.counts !== undefined,
  pool(spec, sites) {
    const name = proportionOf(spec.id);
    if (!name)
      return {
        ok: false,
        error: `counts pooling knows ${Object.keys(PROPORTIONS).join(", ")}; not ${spec.id}`,
      };
    const r = poolCounts(sites.map((s) => ({ site: s.site, counts: s.value.counts as ConfusionCounts })));
    if (!r.ok) return r;
    const p = r.pooled[name];
    if (!p) return { ok: false, error: `the counts give no ${name} (zero denominator)` };
    return { ok: true, fields: { estimate: p.estimate, ci_low: p.ci_low, ci_high: p.ci_high } };
  },
  siteInterval(spec: MetricSpec, v): ComputedInterval | null {
    const name = proportionOf(spec.id);
    if (!v.counts || !name) return null;
    const r = poolCounts([{ site: "site", counts: v.counts }]);
    const p = r.ok ? r.pooled[name] : null;
    return p ? { low: p.ci_low, high: p.ci_high } : null;
  },
  draw(spec) {
    const name = proportionOf(spec.id);
    return (draw) => {
      if (!name) return null;
      const total: Required<ConfusionCounts> = { tp: 0, fp: 0, tn: 0, fn: 0 };
      for (const { input } of draw) {
        const c = input.value.counts as Required<ConfusionCounts>;
        total.tp += c.tp;
        total.fp += c.fp;
        total.tn += c.tn;
        total.fn += c.fn;
      }
      // only the estimate: a bootstrap replicate needs no interval
      return proportionEstimate(total, name);
    };
  },
};
