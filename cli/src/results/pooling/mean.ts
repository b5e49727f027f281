/**
 * `mean` pooling: the case-weighted mean of the sites' values. No interval is claimed: the sites
 * report no standard errors.
 */
import { caseWeightedMean } from "../../stats/mean.ts";
import type { PoolingMethod, SiteInput } from "./method.ts";

const values = (sites: readonly SiteInput[]) =>
  sites.map((s) => ({ site: s.site, value: s.value.value as number, n: s.value.n ?? s.n }));

export const meanPooling: PoolingMethod = {
  field: null,
  lacking: "value",
  // a site's own interval, when it reported a standard error, is value ± z·se
  intervalSource: "standard error",
  usable: () => true,
  pool(_spec, sites) {
    const r = caseWeightedMean(values(sites));
    if (!r.ok) return r;
    return {
      ok: true,
      fields: { estimate: r.estimate, ci_low: null, ci_high: null },
      note: r.k > 1 ? "case-weighted mean: no interval (sites report no standard errors)" : undefined,
    };
  },
  draw: () => (draw) => {
    const r = caseWeightedMean(values(draw.map((d) => d.input)));
    return r.ok ? r.estimate : null;
  },
};
