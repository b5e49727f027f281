/** Numbers and phrases for the pages: every value a page shows is a string formatted here. */
import type { EfficiencyBoard, MetricInfo, ModelBoard, SubgroupBoard, SubgroupGapBoard } from "../types.ts";

export const DASH = "—";

/** A number for people: 3 decimals below 100, fewer above; a dash for null. */
export function fmt(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return DASH;
  const a = Math.abs(x);
  if (a >= 1000) return x.toFixed(0);
  if (a >= 100) return x.toFixed(1);
  return x.toFixed(3);
}

/** "low–high", or nothing when either end is missing. */
export function fmtInterval(low: number | null, high: number | null): string {
  return low === null || high === null ? "" : `${fmt(low)}–${fmt(high)}`;
}

/** A small quantity (τ²) to three significant digits. */
export function fmtSmall(x: number | null): string {
  if (x === null) return DASH;
  return x === 0 ? "0" : x.toPrecision(3);
}

/** A percentage (I²) to one decimal. */
export function fmtPercent(x: number | null): string {
  return x === null ? DASH : `${x.toFixed(1)}%`;
}

/** "1 site", "1,234 sites". */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? word : many}`;
}

/** A metric's title with its id, or the id alone when it has no title of its own. */
export function metricTitle(m: MetricInfo): string {
  return m.title === m.id ? m.id : `${m.title} (${m.id})`;
}

/** A model's rank and its rank interval, as the ranked table shows them. */
export function rankText(m: ModelBoard): { rank: string; interval: string } {
  if (!m.rank) return { rank: DASH, interval: "" };
  return {
    rank: String(m.rank.rank),
    interval: m.rank.low === m.rank.high ? `rank ${m.rank.low}` : `ranks ${m.rank.low}–${m.rank.high}`,
  };
}

/** The hardware of some runs, with how many sites ran on it. */
export function hardwareText(h: {
  cpu: string | null;
  gpu: string | null;
  memory_gb: number | null;
  sites: number;
}): string {
  const parts = [h.gpu, h.cpu, h.memory_gb !== null ? `${h.memory_gb} GB` : null].filter((p) => p !== null);
  return `${parts.join(", ") || "unspecified"} (${plural(h.sites, "site")})`;
}

/** Every hardware the runs reported, or "not reported". */
export function hardwareList(hardware: EfficiencyBoard["hardware"]): string {
  return hardware.length ? hardware.map(hardwareText).join("; ") : "not reported";
}

/** How many drift series have no chart on the page, or null when every one has. */
export function hiddenSeriesText(hidden: number): string | null {
  return hidden ? `${plural(hidden, "more series", "more series")} in drift.csv` : null;
}

/** A subgroup gap with the cells at either end. */
export function gapText(g: SubgroupGapBoard | null): string {
  if (!g || g.gap === null || !g.lowest || !g.highest) return DASH;
  return `${fmt(g.gap)} (${g.lowest.cell} ${fmt(g.lowest.value)} – ${g.highest.cell} ${fmt(g.highest.value)})`;
}

/** The cells some site suppressed (too few cases), and at how many sites; empty when none. */
export function suppressedText(s: SubgroupBoard): string {
  const sites = s.sites.filter((x) => x.suppressed.length > 0).length;
  if (sites === 0) return "";
  const cells = [...new Set(s.sites.flatMap((x) => x.suppressed))].sort();
  return `${cells.join(", ")} (${plural(sites, "site")})`;
}
