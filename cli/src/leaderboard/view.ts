/**
 * View models for the Handlebars templates: numbers formatted, chart geometry computed, links
 * resolved. No markup is built here — the templates write all of it, so every piece of data
 * reaches the page through Handlebars' escaping.
 */
import { posix } from "node:path";
import type {
  BenchmarkBoard,
  BuildInfo,
  CellBoard,
  DriftBoard,
  DriftRunBoard,
  Leaderboard,
  MetricInfo,
  ModelBoard,
  SiteMetric,
  SubgroupBoard,
  SubgroupGapBoard,
} from "./types.ts";

/** Sites in the site × model table on a benchmark page; the rest are in heatmap.csv. */
export const HEATMAP_SITES = 12;
/** Drift charts on a benchmark page (alerts first); every series is in drift.csv. */
export const DRIFT_CHARTS = 8;
/** Sites in a model page's forest plots (most cases first); every site is in its table and CSV. */
export const FOREST_SITES = 40;
/** Drift charts on a model page. */
export const MODEL_DRIFT_CHARTS = 24;

export const DASH = "—";

/** A number for people: 3 decimals below 100, fewer above; a dash for null. */
export function fmt(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return DASH;
  const a = Math.abs(x);
  if (a >= 1000) return x.toFixed(0);
  if (a >= 100) return x.toFixed(1);
  return x.toFixed(3);
}

function fmtInterval(low: number | null, high: number | null): string {
  return low === null || high === null ? "" : `${fmt(low)}–${fmt(high)}`;
}

function fmtSmall(x: number | null): string {
  if (x === null) return DASH;
  return x === 0 ? "0" : x.toPrecision(3);
}

function fmtPercent(x: number | null): string {
  return x === null ? DASH : `${x.toFixed(1)}%`;
}

function plural(n: number, word: string, many = `${word}s`): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? word : many}`;
}

const round = (x: number) => Math.round(x * 10) / 10;

export interface Link {
  href: string | null;
  label: string;
}

export interface PageBase {
  title: string;
  /** Stylesheet href, or null when the CSS is inlined (the report). */
  css: string | null;
  inline_css: boolean;
  home: string | null;
  crumbs: Link[];
  build: BuildView;
}

export interface BuildView {
  commit: string;
  dirty: boolean;
  tool: string;
  allow_unsigned: boolean;
  seed: number;
  replicates: number;
}

function buildView(build: BuildInfo): BuildView {
  return {
    commit: build.commit ?? "none (not built from a git commit)",
    dirty: build.dirty,
    tool: build.tool,
    allow_unsigned: build.allow_unsigned,
    seed: build.rank_seed,
    replicates: build.rank_replicates,
  };
}

/** Where pages link to, relative to the page being rendered; null hrefs render as plain text. */
export interface Paths {
  root: string | null;
  model(benchmark: string, model: string): string | null;
  site(site: string): string | null;
  benchmark(benchmark: string): string | null;
}

/** Output layout, relative to the output folder. */
export const PAGE = {
  index: "index.html",
  benchmark: (b: string) => `benchmarks/${b}/index.html`,
  model: (b: string, m: string) => `benchmarks/${b}/models/${m}.html`,
  site: (s: string) => `sites/${s}.html`,
};

/** Links from the page at `page` (a path relative to the output folder). */
export function pathsFrom(page: string): Paths {
  const here = posix.dirname(page);
  const rel = (target: string) => posix.relative(here, target);
  return {
    root: here === "." ? "" : `${rel(".")}/`,
    model: (b, m) => rel(PAGE.model(b, m)),
    site: (s) => rel(PAGE.site(s)),
    benchmark: (b) => rel(PAGE.benchmark(b)),
  };
}

/** For the self-contained report: no links leave the file. */
export const NO_LINKS: Paths = { root: null, model: () => null, site: () => null, benchmark: () => null };

// ---- charts -------------------------------------------------------------------------------

export interface ForestRowInput {
  label: string;
  estimate: number | null;
  low: number | null;
  high: number | null;
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

function forestView(
  rows: readonly ForestRowInput[],
  title: string,
  desc: string,
  range: [number, number] | null,
): ForestView {
  const width = 640;
  const left = 190;
  const right = 470;
  const [lo, hi] = domainOf(
    rows.flatMap((r) => [r.estimate, r.low, r.high]),
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
      return {
        y,
        label: r.label.length > 30 ? `${r.label.slice(0, 29)}…` : r.label,
        text:
          r.estimate === null
            ? DASH
            : `${fmt(r.estimate)}${hasLine ? ` [${fmtInterval(r.low, r.high)}]` : ""}`,
        muted: r.muted,
        point: r.estimate !== null && !r.diamond ? { cx: x(r.estimate) } : null,
        line: hasLine && !r.diamond ? { x1: x(r.low as number), x2: x(r.high as number) } : null,
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

function driftCharts(
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

// ---- tables -------------------------------------------------------------------------------

function metricTitle(m: MetricInfo): string {
  return m.title === m.id ? m.id : `${m.title} (${m.id})`;
}

export interface PooledCell {
  estimate: string;
  interval: string;
  extra: string;
  note: string | null;
}

function pooledCell(model: ModelBoard, metric: string): PooledCell {
  const board = model.metrics[metric];
  const p = board?.pooled ?? null;
  if (!p) return { estimate: DASH, interval: "", extra: "", note: board?.note ?? "no results" };
  const extra = p.i2 !== null && p.k > 1 ? `τ² ${fmtSmall(p.tau2)}, I² ${fmtPercent(p.i2)}` : "";
  return {
    estimate: fmt(p.estimate),
    interval: fmtInterval(p.ci_low, p.ci_high),
    extra,
    note: board?.note ?? null,
  };
}

function rankText(m: ModelBoard): { rank: string; interval: string } {
  if (!m.rank) return { rank: DASH, interval: "" };
  return {
    rank: String(m.rank.rank),
    interval: m.rank.low === m.rank.high ? `rank ${m.rank.low}` : `ranks ${m.rank.low}–${m.rank.high}`,
  };
}

interface SiteEntry {
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

function unverifiedCount(m: ModelBoard): number {
  return m.cells.filter((c) => !c.verified).length;
}

interface RankedRow {
  rank: string;
  rank_interval: string;
  tie_group: string;
  model: Link;
  muted: boolean;
  status: string;
  pooled: PooledCell;
  worst: string;
  spread: string;
  coverage: string;
  note: string | null;
  unverified: string | null;
}

function rankedRow(b: BenchmarkBoard, m: ModelBoard, paths: Paths): RankedRow {
  const primary = m.metrics[b.primary_metric];
  const spread = primary?.spread ?? null;
  const unverified = unverifiedCount(m);
  const r = rankText(m);
  return {
    rank: r.rank,
    rank_interval: r.interval,
    tie_group: m.rank ? String(m.rank.tie_group) : DASH,
    model: { href: paths.model(b.id, m.id), label: m.title },
    muted: m.status !== "approved",
    status: m.status,
    pooled: pooledCell(m, b.primary_metric),
    worst: spread ? `${fmt(spread.worst.value)} at ${spread.worst.site}` : DASH,
    spread:
      spread?.sd != null
        ? `SD ${fmt(spread.sd)}, range ${fmt(spread.range)}${primary?.pooled?.i2 != null ? `, I² ${fmtPercent(primary.pooled.i2)}` : ""}`
        : DASH,
    coverage: `${m.coverage.sites} of ${m.coverage.of}`,
    note: m.note,
    unverified: unverified ? `${plural(unverified, "result")} unverified` : null,
  };
}

function heatClass(value: number | null, lo: number, hi: number, direction: "higher" | "lower"): string {
  if (value === null) return "hx";
  let t = hi > lo ? (value - lo) / (hi - lo) : 1;
  if (direction === "lower") t = 1 - t;
  return `h${Math.min(4, Math.floor(t * 5))}`;
}

function gapText(g: SubgroupGapBoard | null): string {
  if (!g || g.gap === null || !g.lowest || !g.highest) return DASH;
  return `${fmt(g.gap)} (${g.lowest.cell} ${fmt(g.lowest.value)} – ${g.highest.cell} ${fmt(g.highest.value)})`;
}

function suppressedText(s: SubgroupBoard): string {
  const sites = s.sites.filter((x) => x.suppressed.length > 0).length;
  if (sites === 0) return "";
  const cells = [...new Set(s.sites.flatMap((x) => x.suppressed))].sort();
  return `${cells.join(", ")} (${plural(sites, "site")})`;
}

// ---- pages --------------------------------------------------------------------------------

function base(title: string, build: BuildInfo, paths: Paths, crumbs: Link[], inline: boolean): PageBase {
  return {
    title,
    css: inline ? null : `${paths.root}leaderboard.css`,
    inline_css: inline,
    home: paths.root === null ? null : `${paths.root}index.html`,
    crumbs,
    build: buildView(build),
  };
}

export function indexView(lb: Leaderboard) {
  const paths = pathsFrom(PAGE.index);
  const sites = new Map<string, { name: string; benchmarks: number }>();
  for (const b of lb.benchmarks) {
    for (const s of b.sites) {
      const seen = sites.get(s.id);
      if (seen) seen.benchmarks++;
      else sites.set(s.id, { name: s.name, benchmarks: 1 });
    }
  }
  return {
    ...base("Leaderboards", lb.build, paths, [], false),
    benchmarks: lb.benchmarks.map((b) => {
      const leader = b.models.find((m) => m.rank?.rank === 1 && m.rank.cohort === "c1");
      const excluded = Object.values(b.results.excluded).reduce((a, c) => a + c, 0);
      return {
        link: { href: paths.benchmark(b.id), label: b.title },
        version: String(b.version),
        primary: metricTitle(b.metrics.find((m) => m.primary) as MetricInfo),
        models: String(b.models.length),
        sites: String(b.sites.length),
        included: String(b.results.included),
        excluded: String(excluded),
        leader: leader ? leader.title : DASH,
      };
    }),
    sites: [...sites]
      .sort((x, y) => (x[0] < y[0] ? -1 : 1))
      .map(([id, s]) => ({
        link: { href: paths.site(id), label: s.name },
        id,
        benchmarks: String(s.benchmarks),
      })),
  };
}

function resultsSummary(b: BenchmarkBoard) {
  const excluded = Object.entries(b.results.excluded)
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${n} ${reason.replace(/-/g, " ")}`);
  return {
    included: plural(b.results.included, "result"),
    unverified: b.results.unverified
      ? `${plural(b.results.unverified, "result")} not verified (preview built with --allow-unsigned)`
      : null,
    earlier: b.results.earlier_runs ? `${plural(b.results.earlier_runs, "earlier run")} (drift only)` : null,
    excluded: excluded.length ? `Left out: ${excluded.join(", ")}.` : null,
  };
}

function specView(b: BenchmarkBoard) {
  return {
    id: b.id,
    title: b.title,
    description: b.description,
    task: b.task,
    clinical_setting: b.clinical_setting,
    version: String(b.version),
    comparable: b.comparable_versions.join(", "),
    isolation: b.isolation_required ? "required (Docker, no network, read-only inputs)" : "not required",
    images: [
      { role: "preparation", image: b.images.preparation },
      { role: "reference model", image: b.images.reference_model },
      { role: "evaluator", image: b.images.evaluator },
    ],
    metrics: b.metrics.map((m) => ({
      id: m.id,
      title: m.title,
      group: m.group,
      direction: m.direction === "higher" ? "higher is better" : "lower is better",
      pooling: m.pooling,
      primary: m.primary,
      range: m.range ? `${m.range[0]}–${m.range[1]}` : DASH,
      unit: m.unit ?? "",
    })),
    subgroups: b.subgroups
      ? `${b.subgroups.strata.join(", ")}; cells under ${b.subgroups.min_cell} cases are suppressed at the site`
      : "none declared",
    drift: b.drift_threshold
      ? `alert when ${b.drift_threshold.metric} drops by more than ${fmt(b.drift_threshold.max_drop)}`
      : "no threshold declared",
  };
}

export function benchmarkView(lb: Leaderboard, b: BenchmarkBoard) {
  const paths = pathsFrom(PAGE.benchmark(b.id));
  const primary = b.metrics.find((m) => m.primary) as MetricInfo;
  const byId = new Map(b.models.map((m) => [m.id, m]));
  const cohorts = b.ranking.cohorts
    .filter((c) => c.ranked)
    .map((c) => ({
      caption:
        c.main && c.sites.length === b.sites.length
          ? `Ranked by pooled ${metricTitle(primary)}: ${plural(c.models.length, "model")} reporting on all ${plural(c.sites.length, "site")}`
          : `Cohort ${c.id}: ${plural(c.models.length, "model")} ranked only among themselves, on the same ${c.sites.length} of ${b.sites.length} sites (partial coverage)`,
      main: c.main,
      rows: c.models
        .map((id) => byId.get(id) as ModelBoard)
        .filter((m) => m.ranked)
        .map((m) => rankedRow(b, m, paths)),
    }));
  const unranked = b.models.filter((m) => !m.ranked).map((m) => rankedRow(b, m, paths));

  const forest = forestView(
    b.models.map((m) => {
      const p = m.metrics[b.primary_metric]?.pooled ?? null;
      return {
        label: m.title,
        estimate: p?.estimate ?? null,
        low: p?.ci_low ?? null,
        high: p?.ci_high ?? null,
        diamond: false,
        muted: m.status !== "approved",
      };
    }),
    `Pooled ${metricTitle(primary)} by model, with 95% intervals`,
    `One row per model, in ranking order; each point is the ${primary.pooling}-pooled estimate across sites and the line its 95% interval. The ranked table above gives the same numbers.`,
    primary.range,
  );

  // site × model table: the sites with the most cases; the full table is in heatmap.csv
  const cases = new Map<string, number>();
  for (const m of b.models) for (const c of m.cells) cases.set(c.site, (cases.get(c.site) ?? 0) + c.n);
  const shownSites = [...b.sites]
    .sort((x, y) => (cases.get(y.id) ?? 0) - (cases.get(x.id) ?? 0) || (x.id < y.id ? -1 : 1))
    .slice(0, HEATMAP_SITES);
  const siteValues = b.models.map(
    (m) => new Map((m.metrics[b.primary_metric]?.sites ?? []).map((s) => [s.site, s])),
  );
  const all = siteValues
    .flatMap((map) => shownSites.map((s) => map.get(s.id)?.value ?? null))
    .filter((v): v is number => v !== null);
  const lo = all.length ? Math.min(...all) : 0;
  const hi = all.length ? Math.max(...all) : 1;
  const heatmap = {
    caption: `${metricTitle(primary)} per site and model${shownSites.length < b.sites.length ? `: the ${shownSites.length} sites with the most cases of ${b.sites.length} (every site in heatmap.csv)` : ""}. Darker is better; † marks an unverified result.`,
    sites: shownSites.map((s) => ({ link: { href: paths.site(s.id), label: s.id } })),
    rows: b.models.map((m, i) => ({
      model: { href: paths.model(b.id, m.id), label: m.title },
      muted: m.status !== "approved",
      cells: shownSites.map((s) => {
        const v = siteValues[i]?.get(s.id);
        return {
          cls: heatClass(v?.value ?? null, lo, hi, primary.direction),
          text: v ? fmt(v.value) : DASH,
          href: v ? `${paths.model(b.id, m.id)}#site-${s.id}` : null,
          unverified: v ? !v.verified : false,
        };
      }),
    })),
  };

  const metricsTable = {
    metrics: b.metrics.map((m) => ({
      title: metricTitle(m),
      pooling: m.pooling,
      direction: m.direction === "higher" ? "↑" : "↓",
    })),
    rows: b.models.map((m) => ({
      model: { href: paths.model(b.id, m.id), label: m.title },
      muted: m.status !== "approved",
      cells: b.metrics.map((x) => pooledCell(m, x.id)),
    })),
  };

  const strata = b.subgroups?.strata ?? [
    ...new Set(b.models.flatMap((m) => m.subgroups.map((s) => s.stratum))),
  ];
  const subgroups = {
    metric: metricTitle(primary),
    strata,
    rows: b.models
      .filter((m) => m.subgroups.some((s) => s.metric === b.primary_metric))
      .map((m) => ({
        model: { href: paths.model(b.id, m.id), label: m.title },
        muted: m.status !== "approved",
        cells: strata.map((stratum) => {
          const s = m.subgroups.find((x) => x.metric === b.primary_metric && x.stratum === stratum);
          if (!s) return { largest: "not reported", site: null, pooled: null, suppressed: "" };
          return {
            largest: gapText(s.largest),
            site: s.largest ? s.largest.site : null,
            pooled: s.pooled ? gapText(s.pooled) : "not pooled",
            suppressed: suppressedText(s),
          };
        }),
      })),
  };

  const { charts, hidden } = driftCharts(b.drift, null, DRIFT_CHARTS);
  const drift = {
    metric: b.drift.metric,
    threshold: b.drift.max_drop === null ? null : fmt(b.drift.max_drop),
    series: plural(b.drift.series.length, "series", "series"),
    alerts: b.drift.alerts.map((a) => ({
      model: { href: paths.model(b.id, a.model), label: byId.get(a.model)?.title ?? a.model },
      site: a.site,
      baseline: `${fmt(a.baseline.value)} (${a.baseline.dataset} v${a.baseline.version}, ${a.baseline.finished_at.slice(0, 10)})`,
      run: `${fmt(a.run.value)} (${a.run.dataset} v${a.run.version}, ${a.run.finished_at.slice(0, 10)})`,
      drop: fmt(a.drop),
    })),
    charts,
    hidden: hidden ? `${plural(hidden, "more series", "more series")} in drift.csv` : null,
  };

  const efficiency = b.models.map((m) => {
    const l = m.efficiency.latency_ms_per_case;
    return {
      model: { href: paths.model(b.id, m.id), label: m.title },
      muted: m.status !== "approved",
      latency: l ? fmt(l.estimate) : DASH,
      range: l
        ? `${fmt(l.min.value)} (${l.min.site}) – ${fmt(l.max.value)} (${l.max.site}), ${plural(l.k, "site")}`
        : "not reported",
      hardware: m.efficiency.hardware.length
        ? m.efficiency.hardware.map(hardwareText).join("; ")
        : "not reported",
    };
  });

  return {
    ...base(b.title, lb.build, paths, [{ href: paths.benchmark(b.id), label: b.id }], false),
    spec: specView(b),
    primary: metricTitle(primary),
    summary: resultsSummary(b),
    ranking_note: `Rank intervals: 95% percentile intervals of ${lb.build.rank_replicates} bootstrap resamples of sites (seed ${lb.build.rank_seed}). Models whose intervals overlap the group leader's share a tie group. Models are ranked only against models reporting on the same sites.`,
    cohorts,
    unranked,
    forest,
    heatmap,
    metrics_table: metricsTable,
    subgroups,
    drift,
    efficiency,
    has_efficiency: efficiency.some((e) => e.latency !== DASH || e.hardware !== "not reported"),
  };
}

export function hardwareText(h: {
  cpu: string | null;
  gpu: string | null;
  memory_gb: number | null;
  sites: number;
}): string {
  const parts = [h.gpu, h.cpu, h.memory_gb !== null ? `${h.memory_gb} GB` : null].filter((p) => p !== null);
  return `${parts.join(", ") || "unspecified"} (${plural(h.sites, "site")})`;
}

function provenanceView(c: CellBoard) {
  return {
    file: c.file,
    dataset: c.dataset,
    version: String(c.version),
    signature:
      c.signature === "verified"
        ? `verified (key ${c.key})`
        : c.signature === "unsigned"
          ? "unsigned: NOT verified"
          : "signature does not verify: NOT verified",
    signature_detail: c.signature_detail,
    verified: c.verified,
    governance_commit: c.governance_commit,
    model_image: c.images.model,
    evaluator_image: c.images.evaluator,
    preparation_image: c.images.preparation,
    dataset_hash: c.dataset_hash,
    tool: c.tool,
    ran: `${c.started_at} – ${c.finished_at}`,
    isolation: c.isolation,
    hardware: c.hardware
      ? hardwareText({ ...c.hardware, sites: 1 }).replace(/ \(1 site\)$/, "")
      : "not reported",
    latency: c.latency_ms_per_case === null ? "not reported" : `${fmt(c.latency_ms_per_case)} ms per case`,
    approval: c.approval ? `${c.approval.by} at ${c.approval.at} (${c.approval.policy})` : "none",
    partial: c.partial ? `partial: ${c.errors.join(", ") || "some cases not evaluated"}` : null,
  };
}

/** The model page and the report share this: everything about one model on one benchmark. */
function modelDetail(b: BenchmarkBoard, m: ModelBoard, paths: Paths) {
  const metrics = b.metrics;
  const primary = metrics.find((x) => x.primary) as MetricInfo;
  const pooledRows = metrics.map((x) => {
    const board = m.metrics[x.id];
    const p = board?.pooled ?? null;
    return {
      metric: metricTitle(x),
      method: x.pooling + (p?.estimator ? ` (${p.estimator})` : ""),
      estimate: fmt(p?.estimate),
      interval: p ? fmtInterval(p.ci_low, p.ci_high) || DASH : DASH,
      tau2: fmtSmall(p?.tau2 ?? null),
      i2: fmtPercent(p?.i2 ?? null),
      k: p ? String(p.k) : DASH,
      n: p ? p.n.toLocaleString("en-US") : DASH,
      worst: board?.spread ? `${fmt(board.spread.worst.value)} at ${board.spread.worst.site}` : DASH,
      best: board?.spread ? `${fmt(board.spread.best.value)} at ${board.spread.best.site}` : DASH,
      sd: fmt(board?.spread?.sd),
      note: board?.note ?? null,
    };
  });
  const forests = metrics
    .filter((x) => (m.metrics[x.id]?.sites.length ?? 0) > 0)
    .map((x) => {
      const board = m.metrics[x.id] as NonNullable<ModelBoard["metrics"][string]>;
      const p = board.pooled;
      const shown =
        board.sites.length <= FOREST_SITES
          ? board.sites
          : [...board.sites]
              .sort((a, b) => b.n - a.n || (a.site < b.site ? -1 : 1))
              .slice(0, FOREST_SITES)
              .sort((a, b) => (a.site < b.site ? -1 : 1));
      const subset =
        shown.length < board.sites.length
          ? ` (the ${shown.length} sites with the most cases of ${board.sites.length}; every site is in the table below)`
          : "";
      return forestView(
        [
          ...shown.map((s) => ({
            label: s.site,
            estimate: s.value,
            low: s.ci_low,
            high: s.ci_high,
            diamond: false,
            muted: !s.verified,
          })),
          {
            label: `Pooled (${x.pooling})`,
            estimate: p?.estimate ?? null,
            low: p?.ci_low ?? null,
            high: p?.ci_high ?? null,
            diamond: true,
            muted: false,
          },
        ],
        `${metricTitle(x)} of ${m.title} per site${subset}, and pooled over all ${board.sites.length}`,
        `Forest plot: one row per site with the site's value and 95% interval (reported, or computed from the site's ${x.pooling === "histogram" ? "histogram" : x.pooling === "counts" ? "counts" : "standard error"}), then the pooled estimate as a diamond. The per-site table gives the same numbers.`,
        x.range,
      );
    });
  const bySite = siteIndex(m);
  const siteRows = m.cells.map((c) => ({
    anchor: `site-${c.site}`,
    site: { href: paths.site(c.site), label: c.site },
    n: c.n.toLocaleString("en-US"),
    values: metrics.map((x) => {
      const s = bySite.get(c.site)?.values.get(x.id);
      return { text: s ? (s.value === null ? `${DASH} (${s.reason ?? "no value"})` : fmt(s.value)) : DASH };
    }),
    verified: c.verified,
    provenance: provenanceView(c),
  }));
  const subgroups = m.subgroups.map((s) => {
    const labels = [...new Set(s.sites.flatMap((x) => x.cells.map((c) => c.cell)))];
    return {
      caption: `${metricTitle(metrics.find((x) => x.id === s.metric) as MetricInfo)} by ${s.stratum}`,
      cells: labels,
      rows: s.sites.map((x) => ({
        site: x.site,
        cells: labels.map((label) => {
          const c = x.cells.find((y) => y.cell === label);
          if (!c) return { text: DASH, suppressed: false };
          if (c.suppressed) return { text: "suppressed", suppressed: true };
          return { text: `${fmt(c.value)}${c.n !== null ? ` (n=${c.n})` : ""}`, suppressed: false };
        }),
        gap: gapText(x),
      })),
      pooled: s.pooled
        ? {
            cells: labels.map((label) => {
              const c = s.pooled?.cells.find((y) => y.cell === label);
              if (!c) return { text: DASH, suppressed: false };
              if (c.suppressed) return { text: "suppressed", suppressed: true };
              return { text: `${fmt(c.value)}${c.k ? ` (${plural(c.k, "site")})` : ""}`, suppressed: false };
            }),
            gap: gapText(s.pooled),
          }
        : null,
      pooled_note: s.pooled_note,
      suppressed: suppressedText(s),
    };
  });
  const { charts, hidden } = driftCharts(b.drift, m.id, MODEL_DRIFT_CHARTS);
  const l = m.efficiency.latency_ms_per_case;
  const excluded = b.results.excluded_files.filter((f) => f.file.endsWith(`/${m.id}.yaml`));
  return {
    id: m.id,
    title: m.title,
    status: m.status,
    muted: m.status !== "approved",
    rank: m.rank
      ? `${rankText(m).rank} (${rankText(m).interval}, tie group ${m.rank.tie_group}, cohort ${m.rank.cohort})`
      : "not ranked",
    coverage: `${m.coverage.sites} of ${m.coverage.of} sites${m.coverage.full ? " (full coverage)" : ""}`,
    note: m.note,
    primary: metricTitle(primary),
    metric_titles: metrics.map((x) => x.title),
    pooled: pooledRows,
    forests,
    sites: siteRows,
    has_sites: siteRows.length > 0,
    subgroups,
    drift: {
      metric: b.drift.metric,
      threshold: b.drift.max_drop === null ? null : fmt(b.drift.max_drop),
      alerts: b.drift.alerts
        .filter((a) => a.model === m.id)
        .map((a) => ({
          site: a.site,
          baseline: `${fmt(a.baseline.value)} (${a.baseline.dataset}, ${a.baseline.finished_at.slice(0, 10)})`,
          run: `${fmt(a.run.value)} (${a.run.dataset}, ${a.run.finished_at.slice(0, 10)})`,
          drop: fmt(a.drop),
        })),
      charts,
      hidden: hidden ? `${plural(hidden, "more series", "more series")} in drift.csv` : null,
    },
    efficiency: {
      latency: l
        ? `${fmt(l.estimate)} ms per case (case-weighted over ${plural(l.k, "site")}; ${fmt(l.min.value)} at ${l.min.site} to ${fmt(l.max.value)} at ${l.max.site})`
        : "not reported",
      hardware: m.efficiency.hardware.length
        ? m.efficiency.hardware.map(hardwareText).join("; ")
        : "not reported",
    },
    excluded: excluded.map((f) => ({ file: f.file, reason: f.reason, detail: f.detail })),
    unverified: unverifiedCount(m)
      ? `${plural(unverifiedCount(m), "result")} on this page are NOT verified`
      : null,
  };
}

export function modelView(lb: Leaderboard, b: BenchmarkBoard, m: ModelBoard) {
  const paths = pathsFrom(PAGE.model(b.id, m.id));
  return {
    ...base(
      `${m.title} on ${b.title}`,
      lb.build,
      paths,
      [
        { href: paths.benchmark(b.id), label: b.id },
        { href: null, label: m.id },
      ],
      false,
    ),
    benchmark: { href: paths.benchmark(b.id), label: b.title },
    csv: `${m.id}.csv`,
    model: modelDetail(b, m, paths),
  };
}

export function reportView(lb: Leaderboard, b: BenchmarkBoard, m: ModelBoard) {
  return {
    ...base(`Evidence report: ${m.title} on ${b.title}`, lb.build, NO_LINKS, [], true),
    spec: specView(b),
    summary: resultsSummary(b),
    model: modelDetail(b, m, NO_LINKS),
  };
}

export function siteView(lb: Leaderboard, siteId: string) {
  const paths = pathsFrom(PAGE.site(siteId));
  let name = siteId;
  const benchmarks = lb.benchmarks
    .filter((b) => b.sites.some((s) => s.id === siteId))
    .map((b) => {
      name = b.sites.find((s) => s.id === siteId)?.name ?? name;
      return {
        link: { href: paths.benchmark(b.id), label: b.title },
        metrics: b.metrics.map((x) => x.title),
        rows: b.models.flatMap((m) => {
          const entry = siteIndex(m).get(siteId);
          if (!entry) return [];
          const c = entry.cell;
          return [
            {
              model: { href: paths.model(b.id, m.id), label: m.title },
              muted: m.status !== "approved",
              dataset: c.dataset,
              n: c.n.toLocaleString("en-US"),
              values: b.metrics.map((x) => ({ text: fmt(entry.values.get(x.id)?.value) })),
              signature: c.verified ? "verified" : c.signature,
              verified: c.verified,
              provenance: `${paths.model(b.id, m.id)}#site-${siteId}`,
            },
          ];
        }),
      };
    });
  return {
    ...base(name, lb.build, paths, [{ href: null, label: `site ${siteId}` }], false),
    id: siteId,
    name,
    csv: `${siteId}.csv`,
    benchmarks,
  };
}
