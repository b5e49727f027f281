/**
 * The leaderboard's CSV files, each a table of columns (`{ header, get }`, one record a column)
 * over rows drawn from leaderboard.json: what a page shows, in full, for spreadsheets.
 */
import { type CsvColumn, tableCsv } from "./csv.ts";
import { hardwareText } from "./pages/format.ts";
import { type SiteEntry, siteIndex } from "./pages/model-values.ts";
import {
  type BenchmarkBoard,
  type CellBoard,
  type DriftAlertBoard,
  type DriftBoard,
  type DriftRunBoard,
  EXCLUSION_REASONS,
  type Leaderboard,
  type MetricBoard,
  type MetricInfo,
  type ModelBoard,
  type SiteInfo,
  type SiteMetric,
  type SubgroupBoard,
  type SubgroupCellBoard,
} from "./types.ts";

/** A site across the leaderboard's benchmarks. */
export interface LeaderboardSite {
  id: string;
  name: string;
  country: string | null;
  benchmarks: string[];
}

const BENCHMARKS: CsvColumn<BenchmarkBoard>[] = [
  { header: "benchmark", get: (b) => b.id },
  { header: "title", get: (b) => b.title },
  { header: "version", get: (b) => b.version },
  { header: "primary_metric", get: (b) => b.primary_metric },
  { header: "models", get: (b) => b.models.length },
  { header: "sites", get: (b) => b.sites.length },
  { header: "included", get: (b) => b.results.included },
  { header: "unverified", get: (b) => b.results.unverified },
  { header: "earlier_runs", get: (b) => b.results.earlier_runs },
  ...EXCLUSION_REASONS.map(
    (r): CsvColumn<BenchmarkBoard> => ({
      header: `excluded_${r.replace(/-/g, "_")}`,
      get: (b) => b.results.excluded[r],
    }),
  ),
];

const SITES: CsvColumn<LeaderboardSite>[] = [
  { header: "site", get: (s) => s.id },
  { header: "name", get: (s) => s.name },
  { header: "country", get: (s) => s.country },
  { header: "benchmarks", get: (s) => s.benchmarks.join(" ") },
];

/** benchmarks.csv: one row per benchmark. */
export function benchmarksCsv(lb: Leaderboard): string {
  return tableCsv(BENCHMARKS, lb.benchmarks);
}

/** sites.csv: one row per site, with the benchmarks it reports on. */
export function sitesCsv(sites: readonly LeaderboardSite[]): string {
  return tableCsv(SITES, sites);
}

/** A model with its board of one metric (for ranking.csv, the primary metric). */
interface ModelMetricRow {
  model: ModelBoard;
  metric: MetricInfo | undefined;
  board: MetricBoard | undefined;
}

const RANKING: CsvColumn<ModelMetricRow>[] = [
  { header: "cohort", get: ({ model }) => model.coverage.cohort },
  { header: "rank", get: ({ model }) => model.rank?.rank },
  { header: "rank_low", get: ({ model }) => model.rank?.low },
  { header: "rank_high", get: ({ model }) => model.rank?.high },
  { header: "tie_group", get: ({ model }) => model.rank?.tie_group },
  { header: "model", get: ({ model }) => model.id },
  { header: "title", get: ({ model }) => model.title },
  { header: "status", get: ({ model }) => model.status },
  { header: "ranked", get: ({ model }) => model.ranked },
  { header: "estimate", get: ({ board }) => board?.pooled?.estimate },
  { header: "ci_low", get: ({ board }) => board?.pooled?.ci_low },
  { header: "ci_high", get: ({ board }) => board?.pooled?.ci_high },
  { header: "worst_site", get: ({ board }) => board?.spread?.worst.site },
  { header: "worst_value", get: ({ board }) => board?.spread?.worst.value },
  { header: "best_site", get: ({ board }) => board?.spread?.best.site },
  { header: "best_value", get: ({ board }) => board?.spread?.best.value },
  { header: "sd", get: ({ board }) => board?.spread?.sd },
  { header: "coverage_sites", get: ({ model }) => model.coverage.sites },
  { header: "coverage_of", get: ({ model }) => model.coverage.of },
  { header: "full_coverage", get: ({ model }) => model.coverage.full },
  { header: "unverified_results", get: ({ model }) => model.cells.filter((c) => !c.verified).length },
  { header: "note", get: ({ model }) => model.note },
];

const METRICS: CsvColumn<ModelMetricRow>[] = [
  { header: "model", get: ({ model }) => model.id },
  { header: "status", get: ({ model }) => model.status },
  { header: "metric", get: ({ metric }) => metric?.id },
  { header: "pooling", get: ({ metric }) => metric?.pooling },
  { header: "method", get: ({ board }) => board?.pooled?.method },
  { header: "estimator", get: ({ board }) => board?.pooled?.estimator },
  { header: "scale", get: ({ board }) => board?.pooled?.scale },
  { header: "interval", get: ({ board }) => board?.pooled?.interval },
  { header: "estimate", get: ({ board }) => board?.pooled?.estimate },
  { header: "ci_low", get: ({ board }) => board?.pooled?.ci_low },
  { header: "ci_high", get: ({ board }) => board?.pooled?.ci_high },
  { header: "pi_low", get: ({ board }) => board?.pooled?.pi_low },
  { header: "pi_high", get: ({ board }) => board?.pooled?.pi_high },
  { header: "tau2", get: ({ board }) => board?.pooled?.tau2 },
  { header: "tau2_ci_low", get: ({ board }) => board?.pooled?.tau2_ci?.[0] },
  { header: "tau2_ci_high", get: ({ board }) => board?.pooled?.tau2_ci?.[1] },
  { header: "i2", get: ({ board }) => board?.pooled?.i2 },
  { header: "i2_ci_low", get: ({ board }) => board?.pooled?.i2_ci?.[0] },
  { header: "i2_ci_high", get: ({ board }) => board?.pooled?.i2_ci?.[1] },
  { header: "q", get: ({ board }) => board?.pooled?.q },
  { header: "k", get: ({ board }) => board?.pooled?.k },
  { header: "n", get: ({ board }) => board?.pooled?.n },
  { header: "note", get: ({ board }) => board?.note },
];

/** One site's value of one metric for one model. */
interface SiteValueRow {
  model: ModelBoard;
  metric: MetricInfo;
  site: SiteMetric;
}

const SITE_VALUES: CsvColumn<SiteValueRow>[] = [
  { header: "model", get: ({ model }) => model.id },
  { header: "site", get: ({ site }) => site.site },
  { header: "dataset", get: ({ site }) => site.dataset },
  { header: "metric", get: ({ metric }) => metric.id },
  { header: "value", get: ({ site }) => site.value },
  { header: "reason", get: ({ site }) => site.reason },
  { header: "se", get: ({ site }) => site.se },
  { header: "ci_low", get: ({ site }) => site.ci_low },
  { header: "ci_high", get: ({ site }) => site.ci_high },
  { header: "ci_reported", get: ({ site }) => site.ci_reported },
  { header: "n", get: ({ site }) => site.n },
  { header: "verified", get: ({ site }) => site.verified },
];

/** One model's counted run at one site. */
interface CellRow {
  model: ModelBoard;
  cell: CellBoard;
}

const PROVENANCE: CsvColumn<CellRow>[] = [
  { header: "model", get: ({ model }) => model.id },
  { header: "site", get: ({ cell }) => cell.site },
  { header: "dataset", get: ({ cell }) => cell.dataset },
  { header: "file", get: ({ cell }) => cell.file },
  { header: "version", get: ({ cell }) => cell.version },
  { header: "n", get: ({ cell }) => cell.n },
  { header: "signature", get: ({ cell }) => cell.signature },
  { header: "key", get: ({ cell }) => cell.key },
  { header: "signature_detail", get: ({ cell }) => cell.signature_detail },
  { header: "governance_commit", get: ({ cell }) => cell.governance_commit },
  { header: "model_image", get: ({ cell }) => cell.images.model },
  { header: "evaluator_image", get: ({ cell }) => cell.images.evaluator },
  { header: "preparation_image", get: ({ cell }) => cell.images.preparation },
  { header: "dataset_hash", get: ({ cell }) => cell.dataset_hash },
  { header: "tool", get: ({ cell }) => cell.tool },
  { header: "started_at", get: ({ cell }) => cell.started_at },
  { header: "finished_at", get: ({ cell }) => cell.finished_at },
  { header: "isolation", get: ({ cell }) => cell.isolation },
  { header: "cpu", get: ({ cell }) => cell.hardware?.cpu },
  { header: "gpu", get: ({ cell }) => cell.hardware?.gpu },
  { header: "memory_gb", get: ({ cell }) => cell.hardware?.memory_gb },
  { header: "latency_ms_per_case", get: ({ cell }) => cell.latency_ms_per_case },
  { header: "approved_by", get: ({ cell }) => cell.approval?.by },
  { header: "approved_at", get: ({ cell }) => cell.approval?.at },
  { header: "approval_policy", get: ({ cell }) => cell.approval?.policy },
  { header: "partial", get: ({ cell }) => cell.partial },
  { header: "errors", get: ({ cell }) => cell.errors.join(" ") },
];

/** One cell of a subgroup table, at a site or pooled. */
interface SubgroupRow {
  model: ModelBoard;
  subgroup: SubgroupBoard;
  /** The site, or "pooled". */
  scope: string;
  cell: SubgroupCellBoard;
  gap: number | null | undefined;
}

const SUBGROUPS: CsvColumn<SubgroupRow>[] = [
  { header: "model", get: ({ model }) => model.id },
  { header: "metric", get: ({ subgroup }) => subgroup.metric },
  { header: "stratum", get: ({ subgroup }) => subgroup.stratum },
  { header: "scope", get: ({ scope }) => scope },
  { header: "cell", get: ({ cell }) => cell.cell },
  { header: "n", get: ({ cell }) => cell.n },
  { header: "value", get: ({ cell }) => cell.value },
  { header: "suppressed", get: ({ cell }) => cell.suppressed },
  { header: "gap", get: ({ gap }) => gap },
];

/** One run of a drift series. */
interface DriftRow {
  drift: DriftBoard;
  series: DriftBoard["series"][number];
  run: DriftRunBoard;
  /** The run's place in its series, from 1. */
  number: number;
  alert: DriftAlertBoard | undefined;
}

const DRIFT: CsvColumn<DriftRow>[] = [
  { header: "model", get: ({ series }) => series.model },
  { header: "site", get: ({ series }) => series.site },
  { header: "run", get: ({ number }) => number },
  { header: "dataset", get: ({ run }) => run.dataset },
  { header: "version", get: ({ run }) => run.version },
  { header: "finished_at", get: ({ run }) => run.finished_at },
  { header: "metric", get: ({ drift }) => drift.metric },
  { header: "value", get: ({ run }) => run.value },
  { header: "verified", get: ({ run }) => run.verified },
  { header: "file", get: ({ run }) => run.file },
  { header: "commit", get: ({ run }) => run.commit },
  { header: "alert_drop", get: ({ alert }) => alert?.drop },
  { header: "max_drop", get: ({ drift }) => drift.max_drop },
];

const EFFICIENCY: CsvColumn<ModelBoard>[] = [
  { header: "model", get: (m) => m.id },
  { header: "latency_ms_per_case", get: (m) => m.efficiency.latency_ms_per_case?.estimate },
  { header: "k", get: (m) => m.efficiency.latency_ms_per_case?.k },
  { header: "n", get: (m) => m.efficiency.latency_ms_per_case?.n },
  { header: "min_site", get: (m) => m.efficiency.latency_ms_per_case?.min.site },
  { header: "min", get: (m) => m.efficiency.latency_ms_per_case?.min.value },
  { header: "max_site", get: (m) => m.efficiency.latency_ms_per_case?.max.site },
  { header: "max", get: (m) => m.efficiency.latency_ms_per_case?.max.value },
  { header: "hardware", get: (m) => m.efficiency.hardware.map(hardwareText).join("; ") },
];

const EXCLUDED: CsvColumn<BenchmarkBoard["results"]["excluded_files"][number]>[] = [
  { header: "file", get: (f) => f.file },
  { header: "reason", get: (f) => f.reason },
  { header: "detail", get: (f) => f.detail },
];

/** heatmap.csv's columns: the site, then each model's value of the primary metric there. */
function heatmapColumns(b: BenchmarkBoard): CsvColumn<SiteInfo>[] {
  return [
    { header: "site", get: (s) => s.id },
    ...b.models.map((m): CsvColumn<SiteInfo> => {
      const values = new Map((m.metrics[b.primary_metric]?.sites ?? []).map((s) => [s.site, s.value]));
      return { header: m.id, get: (s) => values.get(s.id) ?? null };
    }),
  ];
}

function subgroupRows(b: BenchmarkBoard): SubgroupRow[] {
  return b.models.flatMap((model) =>
    model.subgroups.flatMap((subgroup) => [
      ...subgroup.sites.flatMap((s) =>
        s.cells.map((cell) => ({ model, subgroup, scope: s.site, cell, gap: s.gap })),
      ),
      ...(subgroup.pooled?.cells ?? []).map((cell) => ({
        model,
        subgroup,
        scope: "pooled",
        cell,
        gap: subgroup.pooled?.gap,
      })),
    ]),
  );
}

function driftRows(drift: DriftBoard): DriftRow[] {
  const alerts = new Map(drift.alerts.map((a) => [a.run, a]));
  return drift.series.flatMap((series) =>
    series.runs.map((run, i) => ({ drift, series, run, number: i + 1, alert: alerts.get(run) })),
  );
}

/** A benchmark's CSV files, by name within its folder. */
export function* benchmarkCsvFiles(b: BenchmarkBoard): Generator<[name: string, content: string]> {
  const primary = b.metrics.find((x) => x.id === b.primary_metric);
  yield [
    "ranking.csv",
    tableCsv(
      RANKING,
      b.models.map((model) => ({ model, metric: primary, board: model.metrics[b.primary_metric] })),
    ),
  ];
  yield [
    "metrics.csv",
    tableCsv(
      METRICS,
      b.models.flatMap((model) =>
        b.metrics.map((metric) => ({ model, metric, board: model.metrics[metric.id] })),
      ),
    ),
  ];
  yield [
    "sites.csv",
    tableCsv(
      SITE_VALUES,
      b.models.flatMap((model) =>
        b.metrics.flatMap((metric) =>
          (model.metrics[metric.id]?.sites ?? []).map((site) => ({ model, metric, site })),
        ),
      ),
    ),
  ];
  yield [
    "provenance.csv",
    tableCsv(
      PROVENANCE,
      b.models.flatMap((model) => model.cells.map((cell) => ({ model, cell }))),
    ),
  ];
  yield ["heatmap.csv", tableCsv(heatmapColumns(b), b.sites)];
  yield ["subgroups.csv", tableCsv(SUBGROUPS, subgroupRows(b))];
  yield ["drift.csv", tableCsv(DRIFT, driftRows(b.drift))];
  yield ["efficiency.csv", tableCsv(EFFICIENCY, b.models)];
  yield ["excluded.csv", tableCsv(EXCLUDED, b.results.excluded_files)];
}

/** A model's CSV beside its page: one row per site, a column per metric. */
export function modelCsv(b: BenchmarkBoard, m: ModelBoard): string {
  const index = siteIndex(m);
  const columns: CsvColumn<CellBoard>[] = [
    { header: "site", get: (c) => c.site },
    { header: "dataset", get: (c) => c.dataset },
    { header: "n", get: (c) => c.n },
    ...b.metrics.map(
      (x): CsvColumn<CellBoard> => ({
        header: x.id,
        get: (c) => index.get(c.site)?.values.get(x.id)?.value ?? null,
      }),
    ),
    { header: "signature", get: (c) => c.signature },
    { header: "file", get: (c) => c.file },
  ];
  return tableCsv(columns, m.cells);
}

/** One metric of one model's run at the site. */
interface SiteRunRow {
  benchmark: BenchmarkBoard;
  model: ModelBoard;
  entry: SiteEntry;
  metric: MetricInfo;
}

const SITE_RUNS: CsvColumn<SiteRunRow>[] = [
  { header: "benchmark", get: ({ benchmark }) => benchmark.id },
  { header: "model", get: ({ model }) => model.id },
  { header: "dataset", get: ({ entry }) => entry.cell.dataset },
  { header: "n", get: ({ entry }) => entry.cell.n },
  { header: "metric", get: ({ metric }) => metric.id },
  { header: "value", get: ({ entry, metric }) => entry.values.get(metric.id)?.value ?? null },
  { header: "signature", get: ({ entry }) => entry.cell.signature },
  { header: "file", get: ({ entry }) => entry.cell.file },
];

/** A site's CSV beside its page: every metric of every model's run there, on every benchmark. */
export function siteCsv(lb: Leaderboard, site: string): string {
  const rows: SiteRunRow[] = [];
  for (const benchmark of lb.benchmarks) {
    for (const model of benchmark.models) {
      const entry = siteIndex(model).get(site);
      if (!entry) continue;
      for (const metric of benchmark.metrics) rows.push({ benchmark, model, entry, metric });
    }
  }
  return tableCsv(SITE_RUNS, rows);
}
