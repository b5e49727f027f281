/** A model's values as several pages show them: by site, pooled, and how many are unverified. */
import type { CellBoard, ModelBoard, SiteMetric } from "../types.ts";
import { DASH, fmt, fmtInterval, fmtPercent, fmtSmall } from "./format.ts";

/** One site's run of a model and its value of each metric. */
export interface SiteEntry {
  cell: CellBoard;
  values: Map<string, SiteMetric>;
}

const siteIndexes = new WeakMap<ModelBoard, Map<string, SiteEntry>>();

/** A model's cell and metric values by site, built once per model (pages look them up per site). */
export function siteIndex(m: ModelBoard): Map<string, SiteEntry> {
  let index = siteIndexes.get(m);
  if (!index) {
    index = new Map(m.cells.map((c) => [c.site, { cell: c, values: new Map() }]));
    for (const [metric, board] of Object.entries(m.metrics)) {
      for (const s of board.sites) index.get(s.site)?.values.set(metric, s);
    }
    siteIndexes.set(m, index);
  }
  return index;
}

/** How many of the model's counted results are not verified. */
export function unverifiedCount(m: ModelBoard): number {
  return m.cells.filter((c) => !c.verified).length;
}

/** An interval with its label, or empty when there is none. */
export function labelled(label: string, low: number | null, high: number | null): string {
  const text = fmtInterval(low, high);
  return text ? `${label} ${text}` : "";
}

/** A pooled estimate in a table cell. */
export interface PooledCell {
  estimate: string;
  /** "95% CI low–high", or empty. */
  interval: string;
  /** "95% PI low–high" (a new site), or empty. */
  prediction: string;
  /** τ² and I², where there is heterogeneity to show. */
  extra: string;
  note: string | null;
}

export function pooledCell(model: ModelBoard, metric: string): PooledCell {
  const board = model.metrics[metric];
  const p = board?.pooled ?? null;
  if (!p)
    return { estimate: DASH, interval: "", prediction: "", extra: "", note: board?.note ?? "no results" };
  const extra = p.i2 !== null && p.k > 1 ? `τ² ${fmtSmall(p.tau2)}, I² ${fmtPercent(p.i2)}` : "";
  return {
    estimate: fmt(p.estimate),
    interval: labelled("95% CI", p.ci_low, p.ci_high),
    prediction: labelled("95% PI", p.pi_low, p.pi_high),
    extra,
    note: board?.note ?? null,
  };
}
