/**
 * What a pooling method is: one record per `pooling` a benchmark can declare (./histogram.ts,
 * ./counts.ts, ./meta.ts, ./mean.ts), gathered in ../pooling.ts. A record says what a site must
 * report beside its value, how the usable sites pool, the interval a site's own statistic gives,
 * and the single number the rank bootstrap pools over a draw of sites.
 */
import type { MetricSpec, MetricValue, Pooling } from "../../governance/types.ts";
import type { StatsError } from "../../stats/shared.ts";

/** A metric pooled across sites. */
export interface Pooled {
  method: Pooling;
  /** The τ² estimator (REML, as metafor's default) when there is a τ², else null. */
  estimator: "DL" | "REML" | null;
  estimate: number;
  ci_low: number | null;
  ci_high: number | null;
  /**
   * Heterogeneity between sites: for `meta`, of the meta-analysis; for `histogram`, of a
   * meta-analysis of each site's AUC with its Hanley–McNeil SE. Null for other methods and for
   * one site.
   */
  tau2: number | null;
  i2: number | null;
  q: number | null;
  k: number;
  n: number;
}

/** What a method's pooling computes; the method, `k` and `n` are filled in around it. */
export type PooledFields = Pick<Pooled, "estimate" | "ci_low" | "ci_high"> &
  Partial<Pick<Pooled, "estimator" | "tau2" | "i2" | "q">>;

/** What a method made of the usable sites: its fields and what a reader must know, or why it could not pool. */
export type MethodPool = { ok: true; fields: PooledFields; note?: string } | StatsError;

/** One site's value of a metric, with the cases it was computed on. */
export interface SiteInput {
  site: string;
  value: MetricValue;
  n: number;
}

/** A site's 95% interval, computed from the statistic it reported. */
export interface ComputedInterval {
  low: number;
  high: number;
}

/** A site's data as the rank bootstrap handles it: the input, and for histograms its bins packed. */
export interface RankDatum {
  input: SiteInput;
  /**
   * For `histogram` pooling: one array per model, bin-major (every site's count of positive
   * bin 0, then of bin 1, …, then the negative bins), so a bin's total over a draw is one dot
   * product over contiguous memory; null for other methods.
   */
  packed: Float64Array | null;
  /** This site's position among the model's sites. */
  index: number;
  /** Positive plus negative bins. */
  width: number;
}

/** One pooling method. Sites handed to `pool`, `rankData` and `draw` are usable (`usable` holds). */
export interface PoolingMethod {
  /**
   * The field of a metric value the method pools beside the value, which validate requires in
   * every result (FE222); null when the value alone will do.
   */
  field: "histogram" | "counts" | "se" | null;
  /** What a site left out lacked, in words: "2 sites left out: no <lacking>". */
  lacking: string;
  /** The statistic a site's computed interval comes from, in words, for a forest plot's description. */
  intervalSource: string;
  /** Whether a site's value (not null) carries what the method needs. */
  usable(v: MetricValue): boolean;
  /** Pools at least one usable site. */
  pool(spec: MetricSpec, sites: readonly SiteInput[]): MethodPool;
  /**
   * A site's interval from the statistic this method pools, when the site reported it; absent
   * for a method that pools the values alone.
   */
  siteInterval?(spec: MetricSpec, v: MetricValue): ComputedInterval | null;
  /** The rank bootstrap's data for one model's sites; absent: each site as it is (`unpacked`). */
  rankData?(sites: readonly SiteInput[]): RankDatum[];
  /**
   * The pooled value of a draw of sites (duplicates included) for the rank bootstrap: the same
   * method as `pool`, reduced to the estimate.
   */
  draw(spec: MetricSpec): (draw: readonly RankDatum[]) => number | null;
}

/** The rank bootstrap's data with nothing packed: each site as it is. */
export function unpacked(sites: readonly SiteInput[]): RankDatum[] {
  return sites.map((input, index) => ({ input, packed: null, index, width: 0 }));
}
