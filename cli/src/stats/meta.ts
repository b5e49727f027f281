import { chiSquareSurvival, criticalZ } from "./distributions.ts";
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
  /** Confidence level of the interval; default 0.95. */
  level?: number;
}

/**
 * Pooling `meta`: a random-effects meta-analysis. With one site nothing is pooled
 * (`pooled: false`): the estimate and interval are that site's own, and the heterogeneity
 * fields are null.
 */
export interface MetaPooled {
  ok: true;
  method: "meta";
  estimator: TauEstimator;
  pooled: boolean;
  estimate: number;
  se: number;
  ci_low: number;
  ci_high: number;
  /** Between-site variance τ². */
  tau2: number | null;
  /** I², in percent: the share of the total variability due to heterogeneity (metafor's definition). */
  i2: number | null;
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
 * following metafor's `rma.uni` (Viechtbauer 2010, J Stat Softw 36(3)):
 * - DL: τ² = max(0, (Q − (k − 1)) / (Σw − Σw²/Σw)), w = 1/v (DerSimonian & Laird 1986);
 * - REML: Fisher scoring from the DL value, τ² truncated at 0, until a step is smaller than
 *   1e-10 × (τ² + the smallest sampling variance);
 * then μ̂ = Σw*y/Σw* with w* = 1/(v + τ²), SE = (Σw*)^−½, and a Wald interval μ̂ ± z·SE.
 * I² = τ²/(τ² + s²) with the "typical" sampling variance s² = (k − 1)Σw/((Σw)² − Σw²).
 */
export function metaAnalysis(
  sites: readonly SiteEstimate[],
  options: MetaOptions = {},
): MetaPooled | StatsError {
  const estimator = options.estimator ?? "REML";
  const z = criticalZ(options.level ?? 0.95);
  if (sites.length === 0) return statsError("no site reported a value");
  for (const s of sites) {
    if (!Number.isFinite(s.value)) return statsError(`site ${s.site}: value must be a finite number`);
    if (!(Number.isFinite(s.se) && s.se > 0)) {
      return statsError(`site ${s.site}: standard error must be a finite number > 0`);
    }
  }
  const k = sites.length;
  const y = sites.map((s) => s.value);
  const v = sites.map((s) => s.se * s.se);
  if (k === 1) {
    const only = sites[0] as SiteEstimate;
    return {
      ok: true,
      method: "meta",
      estimator,
      pooled: false,
      estimate: only.value,
      se: only.se,
      ci_low: only.value - z * only.se,
      ci_high: only.value + z * only.se,
      tau2: null,
      i2: null,
      q: null,
      df: 0,
      q_p_value: null,
      k,
    };
  }
  const w = v.map((vi) => 1 / vi);
  const sumW = sum(w);
  const sumW2 = sum(w.map((wi) => wi * wi));
  const fixed = weightedMean(y, w);
  const q = sum(y.map((yi, i) => (w[i] as number) * (yi - fixed) ** 2));
  const df = k - 1;
  const tauDL = Math.max(0, (q - df) / (sumW - sumW2 / sumW));
  let tau2 = tauDL;
  if (estimator === "REML") {
    const reml = remlTau2(y, v, tauDL);
    if (reml === null) return statsError(`REML did not converge in ${REML_MAX_ITERATIONS} iterations`);
    tau2 = reml;
  }
  const wStar = v.map((vi) => 1 / (vi + tau2));
  const estimate = weightedMean(y, wStar);
  const se = 1 / Math.sqrt(sum(wStar));
  const typical = (df * sumW) / (sumW * sumW - sumW2);
  return {
    ok: true,
    method: "meta",
    estimator,
    pooled: true,
    estimate,
    se,
    ci_low: estimate - z * se,
    ci_high: estimate + z * se,
    tau2,
    i2: (100 * tau2) / (tau2 + typical),
    q,
    df,
    q_p_value: chiSquareSurvival(q, df),
    k,
  };
}

/**
 * REML estimate of τ² by Fisher scoring: with P = W − wwᵀ/Σw, the score is
 * ½(yᵀPPy − tr P) and the expected information ½ tr(PP), so
 * τ² ← τ² + (Σw²(y − μ̂)² − tr P) / tr(PP). Null if it does not settle.
 */
function remlTau2(y: readonly number[], v: readonly number[], start: number): number | null {
  const smallestVariance = Math.min(...v);
  let tau2 = start;
  for (let iteration = 0; iteration < REML_MAX_ITERATIONS; iteration++) {
    const w = v.map((vi) => 1 / (vi + tau2));
    const sumW = sum(w);
    const sumW2 = sum(w.map((wi) => wi * wi));
    const sumW3 = sum(w.map((wi) => wi * wi * wi));
    const mu = weightedMean(y, w);
    const quadratic = sum(y.map((yi, i) => (w[i] as number) ** 2 * (yi - mu) ** 2));
    const traceP = sumW - sumW2 / sumW;
    const tracePP = sumW2 - (2 * sumW3) / sumW + (sumW2 / sumW) ** 2;
    const next = Math.max(0, tau2 + (quadratic - traceP) / tracePP);
    if (Math.abs(next - tau2) <= 1e-10 * (next + smallestVariance)) return next;
    tau2 = next;
  }
  return null;
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const x of values) total += x;
  return total;
}

function weightedMean(y: readonly number[], w: readonly number[]): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < y.length; i++) {
    num += (w[i] as number) * (y[i] as number);
    den += w[i] as number;
  }
  return num / den;
}
