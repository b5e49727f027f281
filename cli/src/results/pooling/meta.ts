/**
 * `meta` pooling: the sites' values with the standard errors they reported, pooled by random
 * effects (./random-effects.ts).
 */
import { randomEffectsMethod } from "./random-effects.ts";

export const metaPooling = randomEffectsMethod({
  field: "se",
  lacking: "standard error",
  intervalSource: "standard error",
  explanation:
    "Each hospital's value is weighted by how precisely it was measured (its standard error), allowing the true value to differ between hospitals (random effects).",
  statistic: (_spec, v) =>
    v.value === null || v.se === undefined
      ? null
      : { scale: "natural", estimate: { value: v.value, se: v.se } },
});
