/**
 * `histogram` pooling (AUCs): the sites' score histograms are summed and the AUC computed from
 * the sum, never averaged; heterogeneity comes from a meta-analysis of each site's own AUC with
 * its Hanley–McNeil SE.
 */
import { histogramAuc, poolHistograms, type ScoreHistogram } from "../../stats/histogram.ts";
import { metaAnalysis } from "../../stats/meta.ts";
import { type PoolingMethod, type RankDatum, type SiteInput, unpacked } from "./method.ts";

/**
 * Packs each site's bins bin-major into one array per model (see RankDatum.packed), so the
 * bootstrap sums a bin over a draw with one dot product.
 */
function packHistograms(inputs: readonly SiteInput[]): RankDatum[] {
  const first = inputs[0]?.value.histogram;
  if (!first) return unpacked(inputs);
  const bins = first.positive.length;
  const sites = inputs.length;
  const packed = new Float64Array(2 * bins * sites);
  inputs.forEach((input, index) => {
    const h = input.value.histogram as ScoreHistogram;
    for (let b = 0; b < bins; b++) {
      packed[b * sites + index] = h.positive[b] as number;
      packed[(bins + b) * sites + index] = h.negative[b] as number;
    }
  });
  return inputs.map((input, index) => ({ input, packed, index, width: 2 * bins }));
}

/**
 * The AUC of a draw from packed data. A thousand draws of every model, each over a thousand
 * sites: count how often each site was drawn, then each bin's total is one dot product of those
 * counts with the bin's per-site column (the draw's own order is random, which would miss the
 * cache per site).
 */
function drawHistograms(): (draw: readonly RankDatum[]) => number | null {
  let times = new Float64Array(0);
  return (draw) => {
    const first = draw[0];
    if (!first?.packed) return null;
    const { packed, width } = first;
    const sites = packed.length / width;
    if (times.length !== sites) times = new Float64Array(sites);
    else times.fill(0);
    for (const d of draw) {
      if (d.packed !== packed) throw new Error("a draw pools the sites of one model");
      times[d.index] = (times[d.index] as number) + 1;
    }
    const bins = width / 2;
    const positive = new Array<number>(bins);
    const negative = new Array<number>(bins);
    for (let b = 0; b < width; b++) {
      let total = 0;
      const at = b * sites;
      for (let site = 0; site < sites; site++)
        total += (times[site] as number) * (packed[at + site] as number);
      if (b < bins) positive[b] = total;
      else negative[b - bins] = total;
    }
    const r = histogramAuc({ positive, negative });
    return r.ok ? r.estimate : null;
  };
}

export const histogramPooling: PoolingMethod = {
  field: "histogram",
  lacking: "score histogram (AUCs are never averaged)",
  intervalSource: "histogram",
  usable: (v) => v.histogram !== undefined,
  pool(spec, sites) {
    const r = poolHistograms(
      sites.map((s) => ({ site: s.site, histogram: s.value.histogram as ScoreHistogram })),
      { bins: spec.histogram_bins },
    );
    if (!r.ok) return r;
    // how much the sites' own AUCs differ beyond sampling: a meta-analysis of each site's AUC
    // with its Hanley–McNeil SE (the pooled AUC stays the summed histograms')
    const aucs = r.per_site.flatMap((s) =>
      s.ok && s.se > 0 ? [{ site: s.site, value: s.estimate, se: s.se }] : [],
    );
    const h = aucs.length > 1 ? metaAnalysis(aucs) : undefined;
    const heterogeneity = h?.ok ? { estimator: h.estimator, tau2: h.tau2, i2: h.i2, q: h.q } : {};
    return {
      ok: true,
      fields: { estimate: r.estimate, ci_low: r.ci_low, ci_high: r.ci_high, ...heterogeneity },
    };
  },
  siteInterval(_spec, v) {
    if (!v.histogram) return null;
    const r = histogramAuc(v.histogram);
    return r.ok ? { low: r.ci_low, high: r.ci_high } : null;
  },
  rankData: packHistograms,
  draw: drawHistograms,
};
