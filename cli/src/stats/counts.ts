import { criticalZ } from "./distributions.ts";
import { type StatsError, statsError } from "./shared.ts";

/** A site's confusion counts; a site may report only those its metrics need (e.g. tp and fn). */
export interface ConfusionCounts {
  tp?: number;
  fp?: number;
  tn?: number;
  fn?: number;
}

export interface SiteCounts {
  site: string;
  counts: ConfusionCounts;
}

export type ProportionName = "sensitivity" | "specificity" | "accuracy" | "ppv" | "npv";

/** A proportion with its Wilson score interval. */
export interface Proportion {
  successes: number;
  total: number;
  estimate: number;
  ci_low: number;
  ci_high: number;
}

/** Null where the counts a proportion needs are missing, or its denominator is 0. */
export type Proportions = Record<ProportionName, Proportion | null>;

/** Pooling `counts`: proportions from the confusion counts summed over sites. */
export interface CountsPooled {
  ok: true;
  method: "counts";
  k: number;
  /** Summed counts; a count is absent unless every site reported it. */
  totals: ConfusionCounts;
  /** A proportion is null unless every site reported the counts it needs. */
  pooled: Proportions;
  per_site: { site: string; proportions: Proportions }[];
}

type CountName = keyof ConfusionCounts;

const DEFINITIONS: Record<ProportionName, { successes: CountName[]; failures: CountName[] }> = {
  sensitivity: { successes: ["tp"], failures: ["fn"] },
  specificity: { successes: ["tn"], failures: ["fp"] },
  accuracy: { successes: ["tp", "tn"], failures: ["fp", "fn"] },
  ppv: { successes: ["tp"], failures: ["fp"] },
  npv: { successes: ["tn"], failures: ["fn"] },
};

const COUNT_NAMES: CountName[] = ["tp", "fp", "tn", "fn"];

/**
 * Wilson score interval for `successes` out of `total` (Wilson 1927; method 3 of Newcombe 1998,
 * Stat Med 17:857): centre (p + z²/2n)/(1 + z²/n), half-width z/(1 + z²/n)·√(p(1−p)/n + z²/4n²).
 * Unlike the Wald interval it stays inside [0, 1] and is not degenerate at 0/n or n/n.
 */
export function wilsonInterval(successes: number, total: number, level = 0.95): Proportion {
  if (
    !(
      Number.isInteger(successes) &&
      Number.isInteger(total) &&
      successes >= 0 &&
      successes <= total &&
      total > 0
    )
  ) {
    throw new RangeError(`need integers 0 <= successes <= total and total > 0, got ${successes}/${total}`);
  }
  const z = criticalZ(level);
  const p = successes / total;
  const z2n = (z * z) / total;
  const centre = (p + z2n / 2) / (1 + z2n);
  const half = (z / (1 + z2n)) * Math.sqrt((p * (1 - p)) / total + z2n / (4 * total));
  return {
    successes,
    total,
    estimate: p,
    ci_low: successes === 0 ? 0 : Math.max(0, centre - half),
    ci_high: successes === total ? 1 : Math.min(1, centre + half),
  };
}

/**
 * Pools sensitivity, specificity, accuracy, PPV and NPV exactly: the per-site confusion counts
 * are summed and each proportion is computed once from the sums, with a Wilson interval (so a
 * site with 2,000 cases weighs 100 times a site with 20, and no site's proportion is averaged).
 * Per-site proportions and intervals come alongside.
 */
export function poolCounts(sites: readonly SiteCounts[], level = 0.95): CountsPooled | StatsError {
  if (sites.length === 0) return statsError("no site reported counts");
  for (const { site, counts } of sites) {
    for (const name of COUNT_NAMES) {
      const c = counts[name];
      if (c !== undefined && !(Number.isInteger(c) && c >= 0)) {
        return statsError(`site ${site}: count ${name} must be a non-negative integer`);
      }
    }
  }
  const totals: ConfusionCounts = {};
  for (const name of COUNT_NAMES) {
    if (sites.every((s) => s.counts[name] !== undefined)) {
      totals[name] = sites.reduce((acc, s) => acc + (s.counts[name] as number), 0);
    }
  }
  return {
    ok: true,
    method: "counts",
    k: sites.length,
    totals,
    pooled: proportions(totals, level),
    per_site: sites.map((s) => ({ site: s.site, proportions: proportions(s.counts, level) })),
  };
}

/** One proportion's estimate from counts (no interval): null when a count is missing or the denominator is 0. */
export function proportionEstimate(counts: ConfusionCounts, name: ProportionName): number | null {
  const s = total(counts, DEFINITIONS[name].successes);
  const f = total(counts, DEFINITIONS[name].failures);
  return s === null || f === null || s + f === 0 ? null : s / (s + f);
}

function proportions(counts: ConfusionCounts, level: number): Proportions {
  const result = {} as Proportions;
  for (const name of Object.keys(DEFINITIONS) as ProportionName[]) {
    const s = total(counts, DEFINITIONS[name].successes);
    const f = total(counts, DEFINITIONS[name].failures);
    result[name] = s === null || f === null || s + f === 0 ? null : wilsonInterval(s, s + f, level);
  }
  return result;
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
