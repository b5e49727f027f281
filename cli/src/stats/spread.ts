import { type Direction, isBetter, type SiteValue, type StatsError, statsError } from "./shared.ts";

/** How a model's metric varies across sites: its generalizability. */
export interface SiteSpread {
  ok: true;
  k: number;
  /** Worst and best site in the metric's direction (the first site listed wins a tie). */
  worst: SiteValue;
  best: SiteValue;
  /** Sample standard deviation across sites (divisor k − 1); null with one site. */
  sd: number | null;
  /** Highest minus lowest site value. */
  range: number;
}

/** Worst site, best site and spread of one model's per-site values. */
export function siteSpread(values: readonly SiteValue[], direction: Direction): SiteSpread | StatsError {
  const first = values[0];
  if (first === undefined) return statsError("no site reported a value");
  let worst = first;
  let best = first;
  let total = 0;
  for (const v of values) {
    if (!Number.isFinite(v.value)) return statsError(`site ${v.site}: value must be a finite number`);
    if (isBetter(worst.value, v.value, direction)) worst = v;
    if (isBetter(v.value, best.value, direction)) best = v;
    total += v.value;
  }
  const k = values.length;
  const mean = total / k;
  const squares = values.reduce((acc, v) => acc + (v.value - mean) ** 2, 0);
  return {
    ok: true,
    k,
    worst: { site: worst.site, value: worst.value },
    best: { site: best.site, value: best.value },
    sd: k < 2 ? null : Math.sqrt(squares / (k - 1)),
    range: Math.abs(best.value - worst.value),
  };
}
