/**
 * A benchmark's page: the ranking by cohort, a forest plot of the models, the site × model
 * heatmap, every metric pooled, subgroup gaps, drift and efficiency.
 */
import { getOrThrow } from "../../base/maps.ts";
import type { BenchmarkBoard, Leaderboard, MetricInfo, ModelBoard } from "../types.ts";
import { type ResultsSummary, resultsSummary, type SpecView, specView } from "./benchmark-summary.ts";
import { type DriftChartView, driftCharts, type ForestView, forestView } from "./charts.ts";
import {
  DASH,
  fmt,
  fmtPercent,
  gapText,
  hardwareList,
  hiddenSeriesText,
  metricTitle,
  plural,
  rankText,
  suppressedText,
} from "./format.ts";
import { type Link, PAGE, type Paths, pathsFrom } from "./links.ts";
import { type PooledCell, pooledCell, unverifiedCount } from "./model-values.ts";
import { type PageBase, pageBase } from "./page-base.ts";

/** Sites in the site × model table on a benchmark page; the rest are in heatmap.csv. */
const HEATMAP_SITES = 12;
/** Drift charts on a benchmark page (alerts first); every series is in drift.csv. */
const DRIFT_CHARTS = 8;

/** A model in the ranked (or unranked) table. */
export interface RankedRow {
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

/** One ranked cohort's table. */
export interface CohortView {
  caption: string;
  main: boolean;
  rows: RankedRow[];
}

/** A model's row in a table of the benchmark's models. */
interface ModelRow<Cell> {
  model: Link;
  muted: boolean;
  cells: Cell[];
}

/** The primary metric per site and model, shaded from worst to best. */
export interface HeatmapView {
  caption: string;
  sites: { link: Link }[];
  rows: ModelRow<{ cls: string; text: string; href: string | null; unverified: boolean }>[];
}

/** Every metric pooled, per model. */
export interface MetricsTableView {
  metrics: { title: string; pooling: MetricInfo["pooling"]; direction: string }[];
  rows: ModelRow<PooledCell>[];
}

/** The primary metric's subgroup gaps per model and stratum. */
export interface SubgroupsTableView {
  metric: string;
  strata: string[];
  rows: ModelRow<{ largest: string; site: string | null; pooled: string | null; suppressed: string }>[];
}

/** Drift alerts and charts of every model. */
export interface DriftSection {
  metric: string;
  threshold: string | null;
  series: string;
  alerts: { model: Link; site: string; baseline: string; run: string; drop: string }[];
  charts: DriftChartView[];
  hidden: string | null;
}

/** A model's latency and hardware. */
export interface EfficiencyRow {
  model: Link;
  muted: boolean;
  latency: string;
  range: string;
  hardware: string;
}

export interface BenchmarkPage extends PageBase {
  spec: SpecView;
  primary: string;
  summary: ResultsSummary;
  ranking_note: string;
  cohorts: CohortView[];
  unranked: RankedRow[];
  forest: ForestView;
  heatmap: HeatmapView;
  metrics_table: MetricsTableView;
  subgroups: SubgroupsTableView;
  drift: DriftSection;
  efficiency: EfficiencyRow[];
  has_efficiency: boolean;
}

const modelLink = (b: BenchmarkBoard, m: ModelBoard, paths: Paths): Link => ({
  href: paths.model(b.id, m.id),
  label: m.title,
});

function rankedRow(b: BenchmarkBoard, m: ModelBoard, paths: Paths): RankedRow {
  const primary = m.metrics[b.primary_metric];
  const spread = primary?.spread ?? null;
  const unverified = unverifiedCount(m);
  const r = rankText(m);
  return {
    rank: r.rank,
    rank_interval: r.interval,
    tie_group: m.rank ? String(m.rank.tie_group) : DASH,
    model: modelLink(b, m, paths),
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

function cohortViews(b: BenchmarkBoard, primary: MetricInfo, paths: Paths): CohortView[] {
  const byId = new Map(b.models.map((m) => [m.id, m]));
  return b.ranking.cohorts
    .filter((c) => c.ranked)
    .map((c) => ({
      caption:
        c.main && c.sites.length === b.sites.length
          ? `Ranked by pooled ${metricTitle(primary)}: ${plural(c.models.length, "model")} reporting on all ${plural(c.sites.length, "site")}`
          : `Cohort ${c.id}: ${plural(c.models.length, "model")} ranked only among themselves, on the same ${c.sites.length} of ${b.sites.length} sites (partial coverage)`,
      main: c.main,
      rows: c.models
        .map((id) => getOrThrow(byId, id, "model of cohort"))
        .filter((m) => m.ranked)
        .map((m) => rankedRow(b, m, paths)),
    }));
}

function modelsForest(b: BenchmarkBoard, primary: MetricInfo): ForestView {
  return forestView(
    b.models.map((m) => {
      const p = m.metrics[b.primary_metric]?.pooled ?? null;
      return {
        label: m.title,
        estimate: p?.estimate ?? null,
        low: p?.ci_low ?? null,
        high: p?.ci_high ?? null,
        pi_low: p?.pi_low ?? null,
        pi_high: p?.pi_high ?? null,
        diamond: false,
        muted: m.status !== "approved",
      };
    }),
    `Pooled ${metricTitle(primary)} by model, with 95% confidence and prediction intervals`,
    `One row per model, in ranking order; each point is the pooled estimate across sites, the solid line its 95% confidence interval and the dashed line its 95% prediction interval for a new site (from three sites). The ranked table above gives the same numbers.`,
    primary.range,
  );
}

function heatClass(value: number | null, lo: number, hi: number, direction: "higher" | "lower"): string {
  if (value === null) return "hx";
  let t = hi > lo ? (value - lo) / (hi - lo) : 1;
  if (direction === "lower") t = 1 - t;
  return `h${Math.min(4, Math.floor(t * 5))}`;
}

/** The site × model table: the sites with the most cases; the full table is in heatmap.csv. */
function heatmapView(b: BenchmarkBoard, primary: MetricInfo, paths: Paths): HeatmapView {
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
  return {
    caption: `${metricTitle(primary)} per site and model${shownSites.length < b.sites.length ? `: the ${shownSites.length} sites with the most cases of ${b.sites.length} (every site in heatmap.csv)` : ""}. Darker is better; † marks an unverified result.`,
    sites: shownSites.map((s) => ({ link: { href: paths.site(s.id), label: s.id } })),
    rows: b.models.map((m, i) => ({
      model: modelLink(b, m, paths),
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
}

function metricsTableView(b: BenchmarkBoard, paths: Paths): MetricsTableView {
  return {
    metrics: b.metrics.map((m) => ({
      title: metricTitle(m),
      pooling: m.pooling,
      direction: m.direction === "higher" ? "↑" : "↓",
    })),
    rows: b.models.map((m) => ({
      model: modelLink(b, m, paths),
      muted: m.status !== "approved",
      cells: b.metrics.map((x) => pooledCell(m, x.id)),
    })),
  };
}

function subgroupsTableView(b: BenchmarkBoard, primary: MetricInfo, paths: Paths): SubgroupsTableView {
  const strata = b.subgroups?.strata ?? [
    ...new Set(b.models.flatMap((m) => m.subgroups.map((s) => s.stratum))),
  ];
  return {
    metric: metricTitle(primary),
    strata,
    rows: b.models
      .filter((m) => m.subgroups.some((s) => s.metric === b.primary_metric))
      .map((m) => ({
        model: modelLink(b, m, paths),
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
}

function driftSection(b: BenchmarkBoard, paths: Paths): DriftSection {
  const byId = new Map(b.models.map((m) => [m.id, m]));
  const { charts, hidden } = driftCharts(b.drift, null, DRIFT_CHARTS);
  return {
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
    hidden: hiddenSeriesText(hidden),
  };
}

function efficiencyRows(b: BenchmarkBoard, paths: Paths): EfficiencyRow[] {
  return b.models.map((m) => {
    const l = m.efficiency.latency_ms_per_case;
    return {
      model: modelLink(b, m, paths),
      muted: m.status !== "approved",
      latency: l ? fmt(l.estimate) : DASH,
      range: l
        ? `${fmt(l.min.value)} (${l.min.site}) – ${fmt(l.max.value)} (${l.max.site}), ${plural(l.k, "site")}`
        : "not reported",
      hardware: hardwareList(m.efficiency.hardware),
    };
  });
}

export function benchmarkView(lb: Leaderboard, b: BenchmarkBoard): BenchmarkPage {
  const paths = pathsFrom(PAGE.benchmark(b.id));
  const primary = b.metrics.find((m) => m.primary) as MetricInfo;
  const efficiency = efficiencyRows(b, paths);
  return {
    ...pageBase(b.title, lb.build, paths, [{ href: paths.benchmark(b.id), label: b.id }], false),
    spec: specView(b),
    primary: metricTitle(primary),
    summary: resultsSummary(b),
    ranking_note: `Rank intervals: the middle 95% of the model's ranks over ${lb.build.rank_replicates} bootstrap replicates (seed ${lb.build.rank_seed}), each resampling the sites and drawing every site's value from its own sampling error, so models whose estimates are uncertain share ranks; a model joins the tie group of the best-ranked model whose rank interval overlaps its own. Models are ranked only against models reporting on the same sites.`,
    cohorts: cohortViews(b, primary, paths),
    unranked: b.models.filter((m) => !m.ranked).map((m) => rankedRow(b, m, paths)),
    forest: modelsForest(b, primary),
    heatmap: heatmapView(b, primary, paths),
    metrics_table: metricsTableView(b, paths),
    subgroups: subgroupsTableView(b, primary, paths),
    drift: driftSection(b, paths),
    efficiency,
    has_efficiency: efficiency.some((e) => e.latency !== DASH || e.hardware !== "not reported"),
  };
}
