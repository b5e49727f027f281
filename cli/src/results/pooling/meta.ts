/**
 * `meta` pooling: a random-effects meta-analysis of the sites' values with their standard
 * errors (τ² by REML, as metafor's default).
 */
import type { MetricValue } from "../../governance/types.ts";
import { criticalZ } from "../../stats/distributions.ts";
import { metaAnalysis } from "../../stats/meta.ts";
import type { PoolingMethod, SiteInput } from "./method.ts";

/** Whether the value carries a standard error a meta-analysis can weigh. */
const hasStandardError = (v: MetricValue): boolean => v.se !== undefined && v.se > 0;

const estimates = (sites: readonly SiteInput[]) =>
  sites.map((s) => ({ site: s.site, value: s.value.value as number, se: s.value.se as number }));

export const metaPooling: PoolingMethod = {
  field: "se",
  lacking: "standard error",
  intervalSource: "standard error",
  usable: hasStandardError,
  pool(_spec, sites) {
    const r = metaAnalysis(estimates(sites));
    if (!r.ok) return r;
    return {
      ok: true,
      fields: {
        estimator: r.estimator,
        estimate: r.estimate,
        ci_low: r.ci_low,
        ci_high: r.ci_high,
        tau2: r.tau2,
        i2: r.i2,
        q: r.q,
      },
    };
  },
  siteInterval(_spec, v) {
    if (v.value === null || !hasStandardError(v)) return null;
    const z = criticalZ(0.95);
    const se = v.se as number;
    return { low: v.value - z * se, high: v.value + z * se };
  },
  draw: () => (draw) => {
    const r = metaAnalysis(estimates(draw.map((d) => d.input)));
    return r.ok ? r.estimate : null;
  },
};
