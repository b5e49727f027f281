/**
 * Everything about one model on one benchmark, which the model page and the evidence report
 * both show: pooled values, forest plots, per-site values with provenance, subgroups, drift,
 * efficiency and the model's excluded results.
 */

import type { Pooled } from "../../results/pooling/method.ts";
import { poolingOf } from "../../results/pooling.ts";
import type {
  BenchmarkBoard,
  CellBoard,
  MetricBoard,
  MetricInfo,
  ModelBoard,
  SubgroupBoard,
} from "../types.ts";
import { type DriftChartView, driftCharts, type ForestView, forestView } from "./charts.ts";
import {
  DASH,
  fmt,
  fmtInterval,
  fmtPercent,
  fmtSmall,
  gapText,
  hardwareList,
  hardwareText,
  hiddenSeriesText,
  metricTitle,
  plural,
  rankText,
  suppressedText,
} from "./format.ts";
import type { Link, Paths } from "./links.ts";
import { siteIndex, unverifiedCount } from "./model-values.ts";

/** Sites in a model page's forest plots (most cases first); every site is in its table and CSV. */
const FOREST_SITES = 40;
/** Drift charts on a model page. */
const MODEL_DRIFT_CHARTS = 24;

/** One metric pooled across sites, with the spread between them. */
export interface PooledRow {
  metric: string;
  /** How it was pooled: the method, its τ² estimator and scale. */
  method: string;
  estimate: string;
  interval: string;
  prediction: string;
  tau2: string;
  i2: string;
  k: string;
  n: string;
  worst: string;
  best: string;
  sd: string;
  note: string | null;
}

/** Where a site's result came from, for its provenance box. */
export interface ProvenanceView {
  file: string;
  dataset: string;
  version: string;
  signature: string;
  signature_detail: string | null;
  verified: boolean;
  governance_commit: string;
  model_image: string;
  evaluator_image: string;
  preparation_image: string;
  dataset_hash: string;
  tool: string;
  ran: string;
  isolation: CellBoard["isolation"];
  hardware: string;
  latency: string;
  approval: string;
  partial: string | null;
}

/** One site's run of the model: its values and provenance. */
export interface SiteRow {
  anchor: string;
  site: Link;
  n: string;
  values: { text: string }[];
  verified: boolean;
  provenance: ProvenanceView;
}

/** A cell of a subgroup table. */
export interface SubgroupCellText {
  text: string;
  suppressed: boolean;
}

/** One metric by one stratum: each site's cells and gap, and the cells pooled. */
export interface SubgroupView {
  caption: string;
  cells: string[];
  rows: { site: string; cells: SubgroupCellText[]; gap: string }[];
  pooled: { cells: SubgroupCellText[]; gap: string } | null;
  pooled_note: string | null;
  suppressed: string;
}

/** A drift alert on the model page. */
export interface ModelDriftAlert {
  site: string;
  baseline: string;
  run: string;
  drop: string;
}

export interface ModelDetail {
  id: string;
  title: string;
  status: ModelBoard["status"];
  muted: boolean;
  rank: string;
  coverage: string;
  note: string | null;
  primary: string;
  metric_titles: string[];
  pooled: PooledRow[];
  forests: ForestView[];
  sites: SiteRow[];
  has_sites: boolean;
  subgroups: SubgroupView[];
  drift: {
    metric: string;
    threshold: string | null;
    alerts: ModelDriftAlert[];
    charts: DriftChartView[];
    hidden: string | null;
  };
  efficiency: { latency: string; hardware: string };
  excluded: { file: string; reason: string; detail: string }[];
  unverified: string | null;
}

function provenanceView(c: CellBoard): ProvenanceView {
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

function pooledRow(x: MetricInfo, board: MetricBoard | undefined): PooledRow {
  const p = board?.pooled ?? null;
  return {
    metric: metricTitle(x),
    method: p ? methodText(p) : x.pooling,
    estimate: fmt(p?.estimate),
    interval: p ? fmtInterval(p.ci_low, p.ci_high) || DASH : DASH,
    prediction: p ? fmtInterval(p.pi_low, p.pi_high) || DASH : DASH,
    tau2:
      p?.tau2 == null
        ? DASH
        : `${fmtSmall(p.tau2)}${p.tau2_ci ? ` [${fmtSmall(p.tau2_ci[0])}, ${fmtSmall(p.tau2_ci[1])}]` : ""}`,
    i2:
      p?.i2 == null
        ? DASH
        : `${fmtPercent(p.i2)}${p.i2_ci ? ` [${fmtPercent(p.i2_ci[0])}, ${fmtPercent(p.i2_ci[1])}]` : ""}`,
    k: p ? String(p.k) : DASH,
    n: p ? p.n.toLocaleString("en-US") : DASH,
    worst: board?.spread ? `${fmt(board.spread.worst.value)} at ${board.spread.worst.site}` : DASH,
    best: board?.spread ? `${fmt(board.spread.best.value)} at ${board.spread.best.site}` : DASH,
    sd: fmt(board?.spread?.sd),
    note: board?.note ?? null,
  };
}

/** How a metric was pooled, in a few words: "random effects (REML, logit scale)". */
function methodText(p: Pooled): string {
  if (p.method === "case-weighted-mean") return "case-weighted mean";
  if (p.k === 1) return "one site: not pooled";
  return `random effects (${p.estimator}, ${p.scale === "logit" ? "logit" : "own"} scale)`;
}

/** One metric's forest plot: the sites with the most cases, then the pooled diamond and the prediction interval. */
function metricForest(x: MetricInfo, m: ModelBoard, board: MetricBoard): ForestView {
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
        label:
          p?.method === "random-effects" && p.k > 1 ? "Pooled (random effects)" : `Pooled (${x.pooling})`,
        estimate: p?.estimate ?? null,
        low: p?.ci_low ?? null,
        high: p?.ci_high ?? null,
        diamond: true,
        muted: false,
      },
      ...(p?.pi_low != null
        ? [
            {
              label: "Prediction (a new site)",
              estimate: null,
              low: null,
              high: null,
              pi_low: p.pi_low,
              pi_high: p.pi_high,
              diamond: false,
              muted: false,
            },
          ]
        : []),
    ],
    `${metricTitle(x)} of ${m.title} per site${subset}, and pooled over all ${board.sites.length}`,
    `Forest plot: one row per site with the site's value and 95% interval (reported, or computed from the site's ${poolingOf(x).intervalSource}), then the pooled estimate as a diamond spanning its 95% confidence interval${p?.pi_low != null ? ", then the 95% prediction interval for a new site as a dashed line" : ""}. The per-site table gives the same numbers.`,
    x.range,
  );
}

function siteRows(metrics: readonly MetricInfo[], m: ModelBoard, paths: Paths): SiteRow[] {
  const bySite = siteIndex(m);
  return m.cells.map((c) => ({
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
}

function subgroupView(metrics: readonly MetricInfo[], s: SubgroupBoard): SubgroupView {
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
}

export function modelDetail(b: BenchmarkBoard, m: ModelBoard, paths: Paths): ModelDetail {
  const metrics = b.metrics;
  const primary = metrics.find((x) => x.primary) as MetricInfo;
  const forests = metrics.flatMap((x) => {
    const board = m.metrics[x.id];
    return board && board.sites.length > 0 ? [metricForest(x, m, board)] : [];
  });
  const sites = siteRows(metrics, m, paths);
  const { charts, hidden } = driftCharts(b.drift, m.id, MODEL_DRIFT_CHARTS);
  const l = m.efficiency.latency_ms_per_case;
  const excluded = b.results.excluded_files.filter((f) => f.file.endsWith(`/${m.id}.yaml`));
  const unverified = unverifiedCount(m);
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
    pooled: metrics.map((x) => pooledRow(x, m.metrics[x.id])),
    forests,
    sites,
    has_sites: sites.length > 0,
    subgroups: m.subgroups.map((s) => subgroupView(metrics, s)),
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
      hidden: hiddenSeriesText(hidden),
    },
    efficiency: {
      latency: l
        ? `${fmt(l.estimate)} ms per case (case-weighted over ${plural(l.k, "site")}; ${fmt(l.min.value)} at ${l.min.site} to ${fmt(l.max.value)} at ${l.max.site})`
        : "not reported",
      hardware: hardwareList(m.efficiency.hardware),
    },
    excluded: excluded.map((f) => ({ file: f.file, reason: f.reason, detail: f.detail })),
    unverified: unverified ? `${plural(unverified, "result")} on this page are NOT verified` : null,
  };
}
