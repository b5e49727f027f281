/**
 * `mean` pooling: the case-weighted mean of the sites' values. No interval is claimed: the sites
 * report no standard errors.
 */
import { caseWeightedMean } from "../../stats/mean.ts";
import { metaPooling } from "./meta.ts";
import type { PoolingMethod, SiteInput } from "./method.ts";

const values = (sites: readonly SiteInput[]) =>
  sites.map((s) => ({ site: s.site, value: s.value.value as number, n: s.value.n ?? s.n }));

export const meanPooling: PoolingMethod = {
  field: null,
  lacking: "value",
  // a site's own interval, when it reported a standard error, is value ± z·se
  intervalSource: "standard error",
  explanation:
    "The hospitals' values are averaged, each counting by its number of patients; without standard errors no interval is given.",
  usable: () => true,
  siteInterval: metaPooling.siteInterval,
  pool(_spec, sites) {
    const r = caseWeightedMean(values(sites));
    if (!r.ok) return r;
    return {
      ok: true,
      fields: {
        method: "case-weighted-mean",
        estimator: null,
        scale: "identity",
        interval: null,
        estimate: r.estimate,
        ci_low: null,
        ci_high: null,
        pi_low: null,
        pi_high: null,
        tau2: null,
        tau2_ci: null,
        i2: null,
        i2_ci: null,
        q: null,
      },
      notes: r.k > 1 ? ["case-weighted mean: no interval (sites report no standard errors)"] : [],
    };
  },
  rankData: (_spec, sites) =>
    sites.map((input) => ({ input, scale: "identity", value: input.value.value as number, se: null })),
  draw: () => (draw) => {
    const r = caseWeightedMean(values(draw.map((d) => d.input)));
    return r.ok ? r.estimate : null;
  },
};
