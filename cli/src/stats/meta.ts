import { chiSquareSurvival, chiSquareUpperQuantile, criticalT, criticalZ } from "./distributions.ts";
import { type StatsError, statsError } from "./shared.ts";

/** One site's estimate of a metric with its standard error. */
export interface SiteEstimate {
  site: string;
  value: number;
  se: number;
}

/** Estimator of the between-site variance τ². */
export type TauEstimator = "DL" | "REML";

export interface MetaOptions {
  /** `DL` (DerSimonian–Laird, closed form) or `REML` (restricted maximum likelihood); default `REML`, as metafor. */
  estimator?: TauEstimator;
  /** Confidence level of the intervals; default 0.95. */
  level?: number;
}

/**
 * A random-effects meta-analysis. With one site nothing is pooled (`pooled: false`): the
 * estimate and interval are that site's own (value ± z·se), and the heterogeneity fields are
 * null.
 */
export interface MetaPooled {
  ok: true;
  estimator: TauEstimator;
  pooled: boolean;
  estimate: number;
  /** Standard error of the estimate: the modified Hartung–Knapp one (metafor `test = "adhoc"`). */
  se: number;
  /** Modified Hartung–Knapp–Sidik–Jonkman interval: estimate ± t(k − 1)·se. */
  ci_low: number;
  ci_high: number;
  /** Prediction interval for a new site's true value (metafor's `predict()`); null for k < 3. */
  pi_low: number | null;
  pi_high: number | null;
  /** Between-site variance τ². */
  tau2: number | null;
  /** Q-profile interval of τ² (Viechtbauer 2007), its upper end capped as metafor caps it. */
  tau2_ci: [number, number] | null;
  /** I², in percent: the share of the total variability due to heterogeneity (metafor's definition). */
  i2: number | null;
  /** I² at the ends of the τ² interval. */
  i2_ci: [number, number] | null;
  /** Cochran's Q. */
  q: number | null;
  /** Degrees of freedom of Q, k − 1. */
  df: number;
  /** P(χ²(df) >= Q), the test of homogeneity. */
  q_p_value: number | null;
  k: number;
}

const REML_MAX_ITERATIONS = 200;

/**
 * Random-effects meta-analysis of per-site estimates (the model yᵢ ~ N(μ, vᵢ + τ²), vᵢ = seᵢ²),
 * as metafor's `rma(yi, vi, method = "REML" | "DL", test = "adhoc")` with `predict()` and
 * `confint()` (Viechtbauer 2010, J Stat Softw 36(3)):
 * - τ²: DL = max(0, (Q − (k − 1)) / (Σw − Σw²/Σw)), w = 1/v (DerSimonian & Laird 1986); REML by
 *   Fisher scoring from the DL value, truncated at 0;
 * - μ̂ = Σw*y/Σw* with w* = 1/(v + τ²);
 * - interval: the modified Hartung–Knapp–Sidik–Jonkman one, μ̂ ± t(k−1)·√(max(1, q)/Σw*) with
 *   q = Σw*(y − μ̂)²/(k − 1): never narrower than the Wald z interval (Hartung & Knapp 2001;
 *   Röver, Knapp & Friede 2015, BMC Med Res Methodol 15:99; IntHout, Ioannidis & Borm 2014,
 *   BMC Med Res Methodol 14:25);
 * - prediction interval (k ≥ 3): μ̂ ± t(k−1)·√(se² + τ²) (Higgins, Thompson & Spiegelhalter 2009;
 *   Debray et al. 2019, Stat Methods Med Res 28:2768);
 * - I² = τ²/(τ² + s²) with the typical sampling variance s² = (k − 1)Σw/((Σw)² − Σw²);
 * - τ² interval by the Q-profile method, I²'s from it.
 */
export function metaAnalysis(
  sites: readonly SiteEstimate[],
  options: MetaOptions = {},
): MetaPooled | StatsError {
  const estimator = options.estimator ?? "REML";
  const level = options.level ?? 0.95;
  const invalid = checkSites(sites);
  if (invalid) return invalid;
  const k = sites.length;
  const y = sites.map((s) => s.value);
  const v = sites.map((s) => s.se * s.se);
  if (k === 1) {
    const only = sites[0] as SiteEstimate;
    const z = criticalZ(level);
    return {
      ok: true,
      estimator,
      pooled: false,
      estimate: only.value,
      se: only.se,
      ci_low: only.value - z * only.se,
      ci_high: only.value + z * only.se,
      pi_low: null,
      pi_high: null,
      tau2: null,
      tau2_ci: null,
      i2: null,
      i2_ci: null,
      q: null,
      df: 0,
      q_p_value: null,
      k,
    };
  }
  const fit = fitTau2(y, v, estimator);
  if (fit === null) return statsError(`REML did not converge in ${REML_MAX_ITERATIONS} iterations`);
  const { tau2, q, typical } = fit;
  const df = k - 1;
  let sumWStar = 0;
  for (const vi of v) sumWStar += 1 / (vi + tau2);
  const estimate = tauMean(y, v, tau2);
  const hk = generalizedQ(y, v, tau2) / df;
  const se = Math.sqrt(Math.max(1, hk) / sumWStar);
  const t = criticalT(level, df);
  const predictionHalf = t * Math.sqrt(se * se + tau2);
  const i2 = (t2: number) => (100 * t2) / (t2 + typical);
  const tau2Ci = qProfile(y, v, df, level, Math.max(100, 10 * tau2));
  return {
    ok: true,
    estimator,
    pooled: true,
    estimate,
    se,
    ci_low: estimate - t * se,
    ci_high: estimate + t * se,
    pi_low: k >= 3 ? estimate - predictionHalf : null,
    pi_high: k >= 3 ? estimate + predictionHalf : null,
    tau2,
    tau2_ci: tau2Ci,
    i2: i2(tau2),
    i2_ci: [i2(tau2Ci[0]), i2(tau2Ci[1])],
    q,
    df,
    q_p_value: chiSquareSurvival(q, df),
    k,
  };
}

/**
 * The random-effects estimate alone (no interval) from values and sampling variances, for
 * bootstrap replicates: no allocation per call beyond the fit. Null where `metaAnalysis`
 * would give an error (no value, a variance not > 0).
 */
export function metaEstimate(
  y: ArrayLike<number>,
  v: ArrayLike<number>,
  estimator: TauEstimator = "REML",
): number | null {
  if (y.length === 0) return null;
  for (let i = 0; i < y.length; i++) {
    if (!(Number.isFinite(y[i]) && Number.isFinite(v[i]) && (v[i] as number) > 0)) return null;
  }
  if (y.length === 1) return y[0] as number;
  const fit = fitTau2(y, v, estimator);
  return fit === null ? null : tauMean(y, v, fit.tau2);
}

function checkSites(sites: readonly SiteEstimate[]): StatsError | null {
  if (sites.length === 0) return statsError("no site reported a value");
  for (const s of sites) {
    if (!Number.isFinite(s.value)) return statsError(`site ${s.site}: value must be a finite number`);
    if (!(Number.isFinite(s.se) && s.se > 0)) {
      return statsError(`site ${s.site}: standard error must be a finite number > 0`);
    }
  }
  return null;
}

/** τ² by the estimator, Cochran's Q and the typical sampling variance; null if REML does not settle. */
function fitTau2(
  y: ArrayLike<number>,
  v: ArrayLike<number>,
  estimator: TauEstimator,
): { tau2: number; q: number; typical: number } | null {
  let sumW = 0;
  let sumW2 = 0;
  for (let i = 0; i < v.length; i++) {
    const w = 1 / (v[i] as number);
    sumW += w;
    sumW2 += w * w;
  }
  const q = generalizedQ(y, v, 0);
  const df = y.length - 1;
  const tauDL = Math.max(0, (q - df) / (sumW - sumW2 / sumW));
  const tau2 = estimator === "REML" ? remlTau2(y, v, tauDL) : tauDL;
  return tau2 === null ? null : { tau2, q, typical: (df * sumW) / (sumW * sumW - sumW2) };
}

/** μ̂ at τ²: Σwy/Σw with w = 1/(v + τ²). */
function tauMean(y: ArrayLike<number>, v: ArrayLike<number>, tau2: number): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < y.length; i++) {
    const w = 1 / ((v[i] as number) + tau2);
    num += w * (y[i] as number);
    den += w;
  }
  return num / den;
}

/** Σ wᵢ(yᵢ − μ̂)² with wᵢ = 1/(vᵢ + τ²): Cochran's Q at τ² = 0, decreasing in τ². */
function generalizedQ(y: ArrayLike<number>, v: ArrayLike<number>, tau2: number): number {
  const mu = tauMean(y, v, tau2);
  let q = 0;
  for (let i = 0; i < y.length; i++) q += ((y[i] as number) - mu) ** 2 / ((v[i] as number) + tau2);
  return q;
}

/**
 * Q-profile interval of τ² (Viechtbauer 2007, Stat Med 26:37): the τ² where the generalized Q
 * equals the χ²(k−1) quantiles 0.975 (lower end) and 0.025 (upper end), each 0 when Q(0) is
 * already below it; searched on [0, max], max = max(100, 10·τ̂²) as metafor's `confint()`, which
 * reports max when Q(max) is still above the quantile.
 */
function qProfile(
  y: readonly number[],
  v: readonly number[],
  df: number,
  level: number,
  max: number,
): [number, number] {
  const alpha = (1 - level) / 2;
  const end = (tail: number): number => {
    const target = chiSquareUpperQuantile(tail, df);
    const f = (tau2: number) => generalizedQ(y, v, tau2);
    if (f(0) < target) return 0;
    if (f(max) > target) return max;
    let lo = 0;
    let hi = max;
    for (let i = 0; i < 200 && hi - lo > 1e-13 * Math.max(1, hi); i++) {
      const mid = (lo + hi) / 2;
      if (f(mid) > target) lo = mid;
      else hi = mid;
    }
    return (lo + hi) / 2;
  };
  return [end(alpha), end(1 - alpha)];
}

/**
 * REML estimate of τ² by Fisher scoring: with P = W − wwᵀ/Σw, the score is
 * ½(yᵀPPy − tr P) and the expected information ½ tr(PP), so
 * τ² ← τ² + (Σw²(y − μ̂)² − tr P) / tr(PP), until a step is smaller than
 * 1e-10 × (τ² + the smallest sampling variance). Null if it does not settle.
 */
function remlTau2(y: ArrayLike<number>, v: ArrayLike<number>, start: number): number | null {
  let smallestVariance = Number.POSITIVE_INFINITY;
  for (let i = 0; i < v.length; i++) smallestVariance = Math.min(smallestVariance, v[i] as number);
  let tau2 = start;
  for (let iteration = 0; iteration < REML_MAX_ITERATIONS; iteration++) {
    const mu = tauMean(y, v, tau2);
    let sumW = 0;
    let sumW2 = 0;
    let sumW3 = 0;
    let quadratic = 0;
    for (let i = 0; i < y.length; i++) {
      const w = 1 / ((v[i] as number) + tau2);
      const w2 = w * w;
      sumW += w;
      sumW2 += w2;
      sumW3 += w2 * w;
      quadratic += w2 * ((y[i] as number) - mu) ** 2;
    }
    const traceP = sumW - sumW2 / sumW;
    const tracePP = sumW2 - (2 * sumW3) / sumW + (sumW2 / sumW) ** 2;
    const next = Math.max(0, tau2 + (quadratic - traceP) / tracePP);
    if (Math.abs(next - tau2) <= 1e-10 * (next + smallestVariance)) return next;
    tau2 = next;
  }
  return null;
}
