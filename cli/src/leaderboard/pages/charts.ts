/**
 * Chart geometry for the templates' SVG: forest plots (per site, per model) and drift charts.
 * Coordinates are rounded to 0.1 so the markup stays small and stable.
 */
import type { DriftBoard, DriftRunBoard } from "../types.ts";
import { DASH, fmt, fmtInterval } from "./format.ts";

const round = (x: number) => Math.round(x * 10) / 10;

/**
 * One row of a forest plot: an estimate with its interval, or the pooled diamond; a 95%
 * prediction interval, where given, is a dashed line (alone on its row when there is no estimate).
 */
export interface ForestRowInput {
  label: string;
  estimate: number | null;
  low: number | null;
  high: number | null;
  pi_low?: number | null;
  pi_high?: number | null;
  diamond: boolean;
  muted: boolean;
}

export interface ForestView {
  title: string;
  desc: string;
  width: number;
  height: number;
  plot_left: number;
  plot_right: number;
  axis_y: number;
  ticks: { x: number; label: string }[];
  rows: {
    y: number;
    label: string;
    text: string;
    muted: boolean;
    point: { cx: number } | null;
    line: { x1: number; x2: number } | null;
    pi: { x1: number; x2: number } | null;
    diamond: string | null;
  }[];
}

const ROW = 18;

function domainOf(values: readonly (number | null)[], range: [number, number] | null): [number, number] {
  const present = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (present.length === 0) return range ?? [0, 1];
  let lo = Math.min(...present);
  let hi = Math.max(...present);
  const pad = hi > lo ? (hi - lo) * 0.05 : Math.abs(hi) * 0.05 || 0.05;
  lo -= pad;
  hi += pad;
  if (range) {
    lo = Math.max(lo, range[0]);
    hi = Math.min(hi, range[1]);
  }
  return [lo, hi];
}

export function forestView(
  rows: readonly ForestRowInput[],
  title: string,
  desc: string,
  range: [number, number] | null,
): ForestView {
  const width = 640;
  const left = 190;
  const right = 470;
  const [lo, hi] = domainOf(
    rows.flatMap((r) => [r.estimate, r.low, r.high, r.pi_low ?? null, r.pi_high ?? null]),
    range,
  );
  const x = (v: number) =>
    round(left + ((Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo || 1)) * (right - left));
  const axisY = rows.length * ROW + 6;
  return {
    title,
    desc,
    width,
    height: axisY + 22,
    plot_left: left,
    plot_right: right,
    axis_y: axisY,
    ticks: [0, 0.25, 0.5, 0.75, 1].map((t) => ({
      x: round(left + t * (right - left)),
      label: fmt(lo + t * (hi - lo)),
    })),
    rows: rows.map((r, i) => {
      const y = i * ROW + ROW / 2 + 2;
      const hasLine = r.low !== null && r.high !== null;
      const pi = r.pi_low != null && r.pi_high != null ? { low: r.pi_low, high: r.pi_high } : null;
      return {
        y,
        label: r.label.length > 30 ? `${r.label.slice(0, 29)}…` : r.label,
        text:
          r.estimate === null
            ? pi
              ? `[${fmtInterval(pi.low, pi.high)}]`
              : DASH
            : `${fmt(r.estimate)}${hasLine ? ` [${fmtInterval(r.low, r.high)}]` : ""}`,
        muted: r.muted,
        point: r.estimate !== null && !r.diamond ? { cx: x(r.estimate) } : null,
        line: hasLine && !r.diamond ? { x1: x(r.low as number), x2: x(r.high as number) } : null,
        pi: pi ? { x1: x(pi.low), x2: x(pi.high) } : null,
        diamond:
          r.diamond && r.estimate !== null
            ? `${x(r.low ?? r.estimate)},${y} ${x(r.estimate)},${y - 6} ${x(r.high ?? r.estimate)},${y} ${x(r.estimate)},${y + 6}`
            : null,
      };
    }),
  };
}

export interface DriftChartView {
  title: string;
  desc: string;
  width: number;
  height: number;
  points: string;
  dots: { cx: number; cy: number; label: string; alert: boolean }[];
  threshold: { y: number; label: string } | null;
  top: string;
  bottom: string;
}

function driftChart(
  model: string,
  site: string,
  runs: readonly DriftRunBoard[],
  drift: DriftBoard,
  alerts: ReadonlySet<DriftRunBoard>,
): DriftChartView {
  const width = 300;
  const height = 120;
  const values = runs.map((r) => r.value);
  const present = values.filter((v): v is number => v !== null);
  const best = present.length
    ? drift.direction === "higher"
      ? Math.max(...present)
      : Math.min(...present)
    : null;
  const limit =
    best !== null && drift.max_drop !== null
      ? drift.direction === "higher"
        ? best - drift.max_drop
        : best + drift.max_drop
      : null;
  const [lo, hi] = domainOf([...values, limit], null);
  const y = (v: number) => round(100 - ((v - lo) / (hi - lo || 1)) * 90);
  const x = (i: number) => round(runs.length === 1 ? 150 : 20 + (i / (runs.length - 1)) * 270);
  const dots = runs.flatMap((r, i) =>
    r.value === null
      ? []
      : [
          {
            cx: x(i),
            cy: y(r.value),
            label: `${r.dataset} v${r.version} ${r.finished_at.slice(0, 10)}: ${fmt(r.value)}`,
            alert: alerts.has(r),
          },
        ],
  );
  return {
    title: `${drift.metric} of ${model} at ${site}`,
    desc: `${runs.length} runs, oldest first: ${dots.map((d) => d.label).join("; ")}.${limit !== null ? ` Alert line at ${fmt(limit)} (best run ${drift.direction === "higher" ? "minus" : "plus"} ${fmt(drift.max_drop)}).` : ""}`,
    width,
    height,
    points: dots.map((d) => `${d.cx},${d.cy}`).join(" "),
    dots,
    threshold: limit === null ? null : { y: y(limit), label: `alert ${fmt(limit)}` },
    top: fmt(hi),
    bottom: fmt(lo),
  };
}

/** Up to `limit` drift charts (series with an alert first) of one model, or of all when `model` is null. */
export function driftCharts(
  drift: DriftBoard,
  model: string | null,
  limit: number,
): { charts: DriftChartView[]; hidden: number } {
  const alerted = new Set(drift.alerts.map((a) => a.run));
  const alertedSeries = new Set(drift.alerts.map((a) => `${a.model}/${a.site}`));
  const series = drift.series
    .filter((s) => model === null || s.model === model)
    .map((s) => ({ s, alert: alertedSeries.has(`${s.model}/${s.site}`) }))
    .sort((a, b) => Number(b.alert) - Number(a.alert));
  return {
    charts: series.slice(0, limit).map(({ s }) => driftChart(s.model, s.site, s.runs, drift, alerted)),
    hidden: Math.max(0, series.length - limit),
  };
}
