/**
 * What a pooling method is: one record per `pooling` a benchmark can declare (./histogram.ts,
 * ./counts.ts, ./meta.ts, ./mean.ts), gathered in ../pooling.ts. A record says what a site must
 * report beside its value, how the usable sites pool, the interval a site's own statistic gives,
 * and the single number the rank bootstrap pools over a draw of sites.
 */
import type { MetricSpec, MetricValue } from "../../governance/types.ts";
import type { TauEstimator } from "../../stats/meta.ts";
import type { Scale } from "../../stats/scale.ts";
import type { StatsError } from "../../stats/shared.ts";

/** A metric pooled across sites (leaderboard.json's `pooled`). */
export interface Pooled {
  /** `random-effects` for every metric with a standard error; `case-weighted-mean` for `mean`. */
  method: "random-effects" | "case-weighted-mean";
  /** The τ² estimator (REML unless the benchmark asks for DL); null for the mean. */
  estimator: TauEstimator | null;
  /** The scale the sites' values were pooled on; estimates and intervals are back on the metric's own. */
  scale: Scale;
  /**
   * `hksj`: the modified Hartung–Knapp–Sidik–Jonkman interval; `wald`: one site, its own
   * interval (value ± z·se on the working scale); null: no interval (the mean).
   */
  interval: "hksj" | "wald" | null;
  estimate: number;
  ci_low: number | null;
  ci_high: number | null;
  /** 95% prediction interval for a new site (k ≥ 3). */
  pi_low: number | null;
  pi_high: number | null;
  /** Between-site variance τ² on the working scale, with its Q-profile interval (k ≥ 2). */
  tau2: number | null;
  tau2_ci: [number, number] | null;
  /** I² in percent, with its interval (k ≥ 2). */
  i2: number | null;
  i2_ci: [number, number] | null;
  /** Cochran's Q (k ≥ 2). */
  q: number | null;
  k: number;
  n: number;
}

/** What a method's pooling computes; `k` and `n` are filled in around it. */
export type PooledFields = Omit<Pooled, "k" | "n">;

/** What a method made of the usable sites: its fields and what a reader must know, or why it could not pool. */
export type MethodPool = { ok: true; fields: PooledFields; notes: string[] } | StatsError;

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

/**
 * A site's data as the rank bootstrap handles it: the input, and its value and standard error
 * on the scale the model's sites pool on (se null where the method has none).
 */
export interface RankDatum {
  input: SiteInput;
  scale: Scale;
  value: number;
  se: number | null;
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
  /** How the method pools, in a sentence a clinician can read (the evidence report). */
  explanation: string;
  /** Whether a site's value (not null) carries what the method needs. */
  usable(spec: MetricSpec, v: MetricValue): boolean;
  /** Pools at least one usable site. */
  pool(spec: MetricSpec, sites: readonly SiteInput[]): MethodPool;
  /** A site's interval from the statistic this method pools, when the site reported it. */
  siteInterval?(spec: MetricSpec, v: MetricValue): ComputedInterval | null;
  /** The rank bootstrap's data for one model's sites. */
  rankData(spec: MetricSpec, sites: readonly SiteInput[]): RankDatum[];
  /**
   * The pooled value of a draw of sites (duplicates included) for the rank bootstrap: the same
   * method as `pool`, reduced to the estimate, each site's value drawn from its sampling
   * distribution with `normal`.
   */
  draw(spec: MetricSpec): (draw: readonly RankDatum[], normal: () => number) => number | null;
}
