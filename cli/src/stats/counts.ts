/** A site's confusion counts; a site may report only those its metrics need (e.g. tp and fn). */
export interface ConfusionCounts {
  tp?: number;
  fp?: number;
  tn?: number;
  fn?: number;
}

export type ProportionName = "sensitivity" | "specificity" | "accuracy" | "ppv" | "npv";

type CountName = keyof ConfusionCounts;

const DEFINITIONS: Record<ProportionName, { successes: CountName[]; failures: CountName[] }> = {
  sensitivity: { successes: ["tp"], failures: ["fn"] },
  specificity: { successes: ["tn"], failures: ["fp"] },
  accuracy: { successes: ["tp", "tn"], failures: ["fp", "fn"] },
  ppv: { successes: ["tp"], failures: ["fp"] },
  npv: { successes: ["tn"], failures: ["fn"] },
};

/**
 * A proportion's numerator and denominator from confusion counts (sensitivity: tp of tp + fn);
 * null when a count it needs is missing.
 */
export function proportionCounts(
  counts: ConfusionCounts,
  name: ProportionName,
): { successes: number; total: number } | null {
  const s = total(counts, DEFINITIONS[name].successes);
  const f = total(counts, DEFINITIONS[name].failures);
  return s === null || f === null ? null : { successes: s, total: s + f };
}

/** One proportion's estimate from counts: null when a count is missing or the denominator is 0. */
export function proportionEstimate(counts: ConfusionCounts, name: ProportionName): number | null {
  const c = proportionCounts(counts, name);
  return c === null || c.total === 0 ? null : c.successes / c.total;
}

function total(counts: ConfusionCounts, names: readonly CountName[]): number | null {
  let sum = 0;
  for (const name of names) {
    const c = counts[name];
    if (c === undefined) return null;
    sum += c;
  }
  return sum;
}
