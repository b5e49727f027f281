/**
 * From a loaded governance repository to the leaderboard (types.ts), in steps:
 * 1. which results count (aggregate/runs.ts): admitted runs, then per model and site the latest;
 * 2. each model's board (aggregate/model-board.ts): every metric pooled across sites by its
 *    method, the sites' own values, provenance, subgroup gaps (aggregate/subgroup-board.ts) and
 *    efficiency;
 * 3. who is ranked against whom (aggregate/ranking.ts): cohorts of models on the same sites;
 * 4. drift across each site's runs (aggregate/drift-board.ts).
 * Pure: no I/O (signatures are checked in memory); git history comes in as `history`.
 */

import type { BenchmarkFolder, GovernanceIndex } from "../governance/loader.ts";
import type { Benchmark, MetricSpec } from "../governance/types.ts";
import { byId } from "./aggregate/compare.ts";
import { driftBoard } from "./aggregate/drift-board.ts";
import { modelBoards } from "./aggregate/model-board.ts";
import { orderModels, rankModels } from "./aggregate/ranking.ts";
import { admitRuns, type HistoricResult, siteRuns } from "./aggregate/runs.ts";
import type { BenchmarkBoard, SiteInfo } from "./types.ts";

export interface AggregateOptions {
  allowUnsigned: boolean;
  /** Earlier versions of result files (drift only). */
  history?: readonly HistoricResult[];
  /** Seed of the rank bootstrap: fixed, so the same repository gives the same pages. */
  seed: number;
  replicates: number;
}

export const RANK_SEED = 20261121;
export const RANK_REPLICATES = 1000;
export const LEVEL = 0.95;

/** The benchmark as declared, in the fields of its board that come before the results. */
type BenchmarkSpecBoard = Pick<
  BenchmarkBoard,
  | "id"
  | "title"
  | "description"
  | "task"
  | "clinical_setting"
  | "version"
  | "comparable_versions"
  | "primary_metric"
  | "metrics"
  | "subgroups"
  | "drift_threshold"
  | "images"
  | "isolation_required"
>;

function benchmarkSpec(
  b: Benchmark,
  comparable: ReadonlySet<number>,
  primary: MetricSpec,
): BenchmarkSpecBoard {
  return {
    id: b.id,
    title: b.title,
    description: b.description,
    task: b.task,
    clinical_setting: b.clinical_setting ?? null,
    version: b.version,
    comparable_versions: [...comparable].sort((x, y) => y - x),
    primary_metric: primary.id,
    metrics: b.metrics.map((m) => ({
      id: m.id,
      title: m.title ?? m.id,
      group: m.group,
      direction: m.direction,
      pooling: m.pooling,
      primary: m === primary,
      unit: m.unit ?? null,
      range: m.range ?? null,
    })),
    subgroups: b.subgroups ? { min_cell: b.subgroups.min_cell, strata: [...b.subgroups.strata] } : null,
    drift_threshold: b.drift ? { ...b.drift } : null,
    images: {
      preparation: b.containers.preparation.image,
      reference_model: b.containers.reference_model.image,
      evaluator: b.containers.evaluator.image,
    },
    isolation_required: b.policy.isolation_required,
  };
}

export function aggregateBenchmark(
  index: GovernanceIndex,
  folder: BenchmarkFolder,
  b: Benchmark,
  options: AggregateOptions,
): BenchmarkBoard {
  const comparable = new Set([b.version, ...(b.comparable_with ?? [])]);
  const { counts, runs } = admitRuns(
    { index, folder, benchmark: b, comparable, allowUnsigned: options.allowUnsigned },
    options.history ?? [],
  );
  const { latest, ordered, earlier } = siteRuns(runs);
  counts.earlier_runs += earlier;

  const primary = (b.metrics.find((m) => m.primary) ?? b.metrics[0]) as MetricSpec;
  const models = [...folder.models.values()]
    .map((e) => e.data)
    .filter((m) => m.status !== "proposed")
    .sort(byId);
  const { boards, primaryInputs } = modelBoards(b, models, latest, primary, counts);

  const siteIds = new Set<string>();
  for (const bySite of latest.values()) for (const s of bySite.keys()) siteIds.add(s);
  const sites: SiteInfo[] = [...siteIds].sort().map((id) => {
    const site = index.sites.get(id)?.data;
    return { id, name: site?.name ?? id, country: site?.country ?? null };
  });

  const cohorts = rankModels(models, boards, primaryInputs, primary, {
    seed: options.seed,
    replicates: options.replicates,
    level: LEVEL,
  });
  return {
    ...benchmarkSpec(b, comparable, primary),
    sites,
    results: counts,
    ranking: { metric: primary.id, direction: primary.direction, cohorts },
    models: orderModels(models, boards, cohorts, primary),
    drift: driftBoard(b, primary, models, ordered),
  };
}
