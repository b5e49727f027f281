/**
 * The shape of `leaderboard.json`, which `schemas/leaderboard.schema.json` documents field by
 * field. Pages, CSV files, `fedeval report` and `fedeval drift` are all rendered from it, so what
 * a page shows is always in the JSON too. Absent values are `null`, never missing fields.
 */
import type { AssociationStatus, MetricGroup, Pooling } from "../governance/types.ts";
import type { Pooled } from "../results/pooling/method.ts";
import type { Direction } from "../stats/shared.ts";

export type SignatureStatus = "verified" | "unsigned" | "invalid";

/** Why a result file is not on the leaderboard (in the order leaderboard.json lists the counts). */
export const EXCLUSION_REASONS = [
  "unreadable",
  "unsigned",
  "signature-invalid",
  "incomparable-version",
  "stale",
  "unknown-model-or-dataset",
  "model-not-approved",
  "dataset-not-approved",
] as const;

export type ExclusionReason = (typeof EXCLUSION_REASONS)[number];

export interface Leaderboard {
  schema: "fedeval/leaderboard@1";
  build: BuildInfo;
  benchmarks: BenchmarkBoard[];
}

export interface BuildInfo {
  tool: string;
  /** The governance commit the pages were built from; null outside git without `--commit`. */
  commit: string | null;
  /** True when governance files differed from `commit` (uncommitted changes). */
  dirty: boolean;
  allow_unsigned: boolean;
  rank_seed: number;
  rank_replicates: number;
  level: number;
}

export interface MetricInfo {
  id: string;
  title: string;
  group: MetricGroup;
  direction: Direction;
  pooling: Pooling;
  primary: boolean;
  unit: string | null;
  range: [number, number] | null;
}

export interface SiteInfo {
  id: string;
  name: string;
  country: string | null;
}

export interface ExcludedFile {
  file: string;
  reason: ExclusionReason;
  detail: string;
}

export interface ResultCounts {
  /** Results on the leaderboard (one per model and site: the latest run). */
  included: number;
  /** Of those, results whose signature did not verify (only with `--allow-unsigned`). */
  unverified: number;
  /** Earlier runs of a model on a site (older datasets of the site, git history): drift only. */
  earlier_runs: number;
  excluded: Record<ExclusionReason, number>;
  excluded_files: ExcludedFile[];
}

export interface Cohort {
  id: string;
  /** The main ranking: the cohort with the most models (then the most sites). */
  main: boolean;
  /** False when the cohort has a single model: nothing to rank against. */
  ranked: boolean;
  models: string[];
  sites: string[];
}

export interface Ranking {
  metric: string;
  direction: Direction;
  cohorts: Cohort[];
}

export interface BenchmarkBoard {
  id: string;
  title: string;
  description: string;
  task: string;
  clinical_setting: string | null;
  version: number;
  comparable_versions: number[];
  primary_metric: string;
  metrics: MetricInfo[];
  subgroups: { min_cell: number; strata: string[] } | null;
  drift_threshold: { metric: string; max_drop: number } | null;
  images: { preparation: string; reference_model: string; evaluator: string };
  isolation_required: boolean;
  /** Sites with at least one result on the leaderboard, by id. */
  sites: SiteInfo[];
  results: ResultCounts;
  ranking: Ranking;
  models: ModelBoard[];
  drift: DriftBoard;
}

export interface RankInfo {
  rank: number;
  low: number;
  high: number;
  tie_group: number;
  cohort: string;
}

export interface ModelBoard {
  id: string;
  title: string;
  status: AssociationStatus;
  ranked: boolean;
  coverage: { sites: number; of: number; full: boolean; cohort: string | null };
  rank: RankInfo | null;
  /** Why the model is not ranked, or ranked only within a partial-coverage cohort. */
  note: string | null;
  metrics: Record<string, MetricBoard>;
  cells: CellBoard[];
  subgroups: SubgroupBoard[];
  efficiency: EfficiencyBoard;
}

export type { Pooled };

export interface SiteValueRef {
  site: string;
  value: number;
}

export interface Spread {
  worst: SiteValueRef;
  best: SiteValueRef;
  sd: number | null;
  range: number;
}

export interface SiteMetric {
  site: string;
  dataset: string;
  value: number | null;
  reason: string | null;
  se: number | null;
  ci_low: number | null;
  ci_high: number | null;
  /** True when the site reported its interval; false when computed from its statistic. */
  ci_reported: boolean;
  n: number;
  verified: boolean;
}

export interface MetricBoard {
  pooled: Pooled | null;
  note: string | null;
  spread: Spread | null;
  sites: SiteMetric[];
}

export interface CellBoard {
  site: string;
  dataset: string;
  file: string;
  version: number;
  n: number;
  partial: boolean;
  errors: string[];
  signature: SignatureStatus;
  verified: boolean;
  signature_detail: string | null;
  key: string | null;
  governance_commit: string;
  images: { model: string; evaluator: string; preparation: string };
  dataset_hash: string;
  tool: string;
  started_at: string;
  finished_at: string;
  isolation: "docker-none-ro" | "none";
  hardware: { cpu: string | null; gpu: string | null; memory_gb: number | null } | null;
  latency_ms_per_case: number | null;
  approval: { by: string; at: string; policy: "manual" | "site-policy" } | null;
}

export interface GapSide {
  cell: string;
  value: number;
}

export interface SubgroupGapBoard {
  gap: number | null;
  lowest: GapSide | null;
  highest: GapSide | null;
  visible: number;
  suppressed: string[];
  missing: string[];
}

export interface SubgroupCellBoard {
  cell: string;
  n: number | null;
  value: number | null;
  suppressed: boolean;
}

export interface SubgroupBoard {
  metric: string;
  stratum: string;
  /** Cells pooled across sites with the metric's pooling; null when the cells lack what it needs. */
  pooled:
    | (SubgroupGapBoard & { cells: (SubgroupCellBoard & { k: number; suppressed_sites: number })[] })
    | null;
  pooled_note: string | null;
  /** The site with the largest gap. */
  largest: (SubgroupGapBoard & { site: string }) | null;
  sites: (SubgroupGapBoard & { site: string; cells: SubgroupCellBoard[] })[];
}

export interface EfficiencyBoard {
  latency_ms_per_case: {
    estimate: number;
    k: number;
    n: number;
    min: SiteValueRef;
    max: SiteValueRef;
  } | null;
  hardware: { cpu: string | null; gpu: string | null; memory_gb: number | null; sites: number }[];
}

export interface DriftRunBoard {
  dataset: string;
  version: number;
  finished_at: string;
  value: number | null;
  file: string;
  /** The git commit holding this version of the file; null for the working tree. */
  commit: string | null;
  verified: boolean;
}

export interface DriftAlertBoard {
  model: string;
  site: string;
  run: DriftRunBoard;
  baseline: DriftRunBoard;
  drop: number;
}

export interface DriftBoard {
  metric: string;
  direction: Direction;
  max_drop: number | null;
  /** Series of a model on a site with at least two runs, oldest run first. */
  series: { model: string; site: string; runs: DriftRunBoard[] }[];
  alerts: DriftAlertBoard[];
}
