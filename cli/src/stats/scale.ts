/**
 * The scale a metric is pooled on. A metric bounded on [0, 1] (an AUC, a sensitivity, an ECE)
 * is pooled on the logit scale and back-transformed, so that no interval leaves [0, 1]
 * (Debray et al. 2019, Stat Methods Med Res 28:2768, section 3); others on their own scale.
 */
import { type StatsError, statsError } from "./shared.ts";

export type Scale = "logit" | "identity";

export const logit = (p: number): number => Math.log(p / (1 - p));
export const inverseLogit = (x: number): number => 1 / (1 + Math.exp(-x));

/** A value and its standard error on a scale. */
export interface ScaledEstimate {
  value: number;
  se: number;
}

/**
 * A value and SE on the working scale: on the logit scale by the delta method,
 * se(logit p) = se(p) / (p(1 − p)); the value must lie strictly inside (0, 1).
 */
export function toScale(scale: Scale, estimate: ScaledEstimate): ScaledEstimate {
  if (scale === "identity") return estimate;
  const { value, se } = estimate;
  if (!(value > 0 && value < 1))
    throw new RangeError(`the logit scale needs a value in (0, 1), got ${value}`);
  return { value: logit(value), se: se / (value * (1 - value)) };
}

/** A point of the working scale back on the metric's own scale. */
export function fromScale(scale: Scale, x: number): number {
  return scale === "logit" ? inverseLogit(x) : x;
}

/**
 * A logit proportion from counts, as metafor's `escalc(measure = "PLO", xi, ni)`:
 * log(x/(n − x)) with variance 1/x + 1/(n − x), adding ½ to both cells when one is 0
 * (its default `add = 1/2, to = "only0"`).
 */
export function logitProportion(successes: number, total: number): ScaledEstimate | StatsError {
  if (!(Number.isInteger(successes) && Number.isInteger(total) && successes >= 0 && successes <= total)) {
    return statsError(`need integers 0 <= successes <= total, got ${successes}/${total}`);
  }
  if (total === 0) return statsError("no cases in the denominator");
  const add = successes === 0 || successes === total ? 0.5 : 0;
  const x = successes + add;
  const rest = total - successes + add;
  return { value: Math.log(x / rest), se: Math.sqrt(1 / x + 1 / rest) };
}
