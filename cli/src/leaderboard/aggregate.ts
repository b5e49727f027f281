/**
 * From a loaded governance repository to the leaderboard (types.ts): which results count, how
 * each metric pools across sites, who is ranked against whom, subgroup gaps, drift, efficiency.
 * Pure: no I/O (signatures are checked in memory); git history comes in as `history`.
 *
 * Which results count, per benchmark:
 * - a result's signature must verify against a key of its dataset's site; unsigned and failing
 *   results are left out and counted (`--allow-unsigned` keeps them, marked unverified);
 * - only results of the current benchmark version and the versions it declares `comparable_with`,
 *   computed with what the repository approves now (the model's image, the dataset's hash and
 *   preparation image, and for the current version the evaluator image): a stale result is left
 *   out until the site's next run replaces it (earlier versions in git still feed drift);
 * - the dataset must be approved; the model approved, suspended or withdrawn. Suspended and
 *   withdrawn models are shown (greyed on the pages) with their pooled values but never ranked;
 * - a site counts once per model: its latest run (by `finished_at`). Earlier runs — results on
 *   the site's older datasets, and earlier versions of result files in git — feed drift only.
 *
 * Ranking: models are ranked only against models whose primary metric pools over exactly the
 * same sites (a cohort). The cohort with the most models is the main ranking; a model in another
 * cohort carries a note saying it has partial coverage and whom it is ranked against.
 */

import { classifyPath } from "../governance/layout.ts";
import type { BenchmarkFolder, GovernanceIndex } from "../governance/loader.ts";
import type { Benchmark, MetricSpec, Model, Result } from "../governance/types.ts";
import {
  drawPool,
  poolMetric,
  type RankDatum,
  rankData,
  type SiteInput,
  siteInterval,
  usableSites,
} from "../results/pooling.ts";
import { checkResultSignature } from "../results/signature.ts";
import { staleness } from "../results/staleness.ts";
import { driftAlerts } from "../stats/drift.ts";
import { caseWeightedMean } from "../stats/mean.ts";
import { bootstrapRanks, type RankInput } from "../stats/ranks.ts";
import { isBetter } from "../stats/shared.ts";
import { siteSpread } from "../stats/spread.ts";
import { noGap, type SubgroupCellValue, subgroupGaps } from "../stats/subgroups.ts";
import {
  type BenchmarkBoard,
  type CellBoard,
  type Cohort,
  type DriftBoard,
  type DriftRunBoard,
  type EfficiencyBoard,
  EXCLUSION_REASONS,
  type ExclusionReason,
  type MetricBoard,
  type ModelBoard,
  type ResultCounts,
  type SignatureStatus,
  type SiteInfo,
  type SubgroupBoard,
  type SubgroupGapBoard,
} from "./types.ts";

/** An earlier version of a result file, from git history. */
export interface HistoricResult {
  file: string;
  commit: string;
  data: Result;
}

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

/** A result that passed every check, with where it came from. */
interface Run {
  result: Result;
  file: string;
  commit: string | null;
  site: string;
  signature: SignatureStatus;
  signatureDetail: string | null;
}

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function signatureOf(
  index: GovernanceIndex,
  folder: BenchmarkFolder,
  result: Result,
): { status: SignatureStatus; detail: string | null } {
  const dataset = folder.datasets.get(result.dataset);
  const site = dataset && index.sites.get(dataset.data.site);
  if (!site)
    return {
      status: "invalid",
      detail: `site of dataset ${result.dataset} is not registered: nothing to verify against`,
    };
  const check = checkResultSignature(result, site.data);
  if (check.ok) return { status: "verified", detail: null };
  return { status: check.rule === "FE301" ? "unsigned" : "invalid", detail: check.message };
}

export function aggregateBenchmark(
  index: GovernanceIndex,
  folder: BenchmarkFolder,
  b: Benchmark,
  options: AggregateOptions,
): BenchmarkBoard {
  const comparable = new Set([b.version, ...(b.comparable_with ?? [])]);
  const counts: ResultCounts = {
    included: 0,
    unverified: 0,
    earlier_runs: 0,
    excluded: Object.fromEntries(EXCLUSION_REASONS.map((r) => [r, 0])) as Record<ExclusionReason, number>,
    excluded_files: [],
  };
  const exclude = (file: string, reason: ExclusionReason, detail: string) => {
    counts.excluded[reason]++;
    counts.excluded_files.push({ file, reason, detail });
  };
  for (const file of index.broken) {
    const where = classifyPath(file);
    if (where.kind === "result" && where.benchmark === folder.id)
      exclude(file, "unreadable", "the file did not load; `fedeval validate` says why");
  }

  /** Checks one result; returns why it is left out, or the run. `commit`: from git history. */
  const admit = (
    result: Result,
    file: string,
    commit: string | null,
  ): Run | { reason: ExclusionReason; detail: string } => {
    const model = folder.models.get(result.model);
    const dataset = folder.datasets.get(result.dataset);
    if (!model || !dataset)
      return {
        reason: "unknown-model-or-dataset",
        detail: `model ${result.model} or dataset ${result.dataset} is not registered in this benchmark`,
      };
    if (!comparable.has(result.benchmark.version)) {
      return {
        reason: "incomparable-version",
        detail: `computed under version ${result.benchmark.version}; comparable: ${[...comparable].join(", ")}`,
      };
    }
    if (commit === null) {
      const p = result.provenance;
      const changed = staleness(result, {
        benchmark_version: result.benchmark.version,
        images: {
          model: model.data.container.image,
          // earlier comparable versions ran their own evaluator
          evaluator:
            result.benchmark.version === b.version ? b.containers.evaluator.image : p.images.evaluator,
          preparation: dataset.data.prepared_with,
        },
        dataset_hash: dataset.data.hash,
      });
      if (changed.length) return { reason: "stale", detail: `${changed.join(", ")} since it ran` };
    }
    if (model.data.status === "proposed")
      return { reason: "model-not-approved", detail: `model ${model.data.id} is proposed, not approved` };
    if (dataset.data.status !== "approved")
      return {
        reason: "dataset-not-approved",
        detail: `dataset ${dataset.data.id} is ${dataset.data.status}`,
      };
    // last: verifying is the expensive check
    const { status, detail } = signatureOf(index, folder, result);
    if (status !== "verified" && !options.allowUnsigned) {
      return { reason: status === "unsigned" ? "unsigned" : "signature-invalid", detail: detail ?? status };
    }
    return { result, file, commit, site: dataset.data.site, signature: status, signatureDetail: detail };
  };

  // every admitted run, by model then site
  const runs = new Map<string, Map<string, Run[]>>();
  const addRun = (run: Run) => {
    let bySite = runs.get(run.result.model);
    if (!bySite) {
      bySite = new Map();
      runs.set(run.result.model, bySite);
    }
    const list = bySite.get(run.site);
    if (list) list.push(run);
    else bySite.set(run.site, [run]);
  };
  for (const entry of folder.results.values()) {
    const admitted = admit(entry.data, entry.file, null);
    if ("reason" in admitted) exclude(entry.file, admitted.reason, admitted.detail);
    else addRun(admitted);
  }
  for (const h of options.history ?? []) {
    if (h.data.benchmark.id !== folder.id) continue;
    const admitted = admit(h.data, h.file, h.commit);
    if (!("reason" in admitted)) addRun(admitted);
  }
  counts.excluded_files.sort((x, y) => compare(x.file, y.file));

  // per model and site: runs deduplicated (a committed file equals its work-tree copy) and in time order
  const latest = new Map<string, Map<string, Run>>();
  const ordered = new Map<string, Map<string, Run[]>>();
  for (const [model, bySite] of runs) {
    const latestBySite = new Map<string, Run>();
    const orderedBySite = new Map<string, Run[]>();
    for (const [site, list] of bySite) {
      const unique = new Map<string, Run>();
      for (const run of list) {
        const p = run.result.provenance;
        const key = `${run.result.dataset}|${run.result.benchmark.version}|${p.started_at}|${p.finished_at}`;
        const seen = unique.get(key);
        if (!seen || (seen.commit !== null && run.commit === null)) unique.set(key, run);
      }
      const series = [...unique.values()].sort(
        (x, y) =>
          Date.parse(x.result.provenance.finished_at) - Date.parse(y.result.provenance.finished_at) ||
          compare(x.file, y.file) ||
          compare(x.commit ?? "", y.commit ?? ""),
      );
      orderedBySite.set(site, series);
      const current = series.filter((r) => r.commit === null).at(-1);
      if (current) latestBySite.set(site, current);
      counts.earlier_runs += series.length - (current ? 1 : 0);
    }
    latest.set(model, latestBySite);
    ordered.set(model, orderedBySite);
  }

  const metrics = b.metrics;
  const primary = (metrics.find((m) => m.primary) ?? metrics[0]) as MetricSpec;
  const models = [...folder.models.values()].map((e) => e.data).filter((m) => m.status !== "proposed");
  const boards = new Map<string, ModelBoard>();
  const primaryInputs = new Map<string, SiteInput[]>();
  for (const model of models.sort(byId)) {
    const cells = [...(latest.get(model.id)?.values() ?? [])].sort((x, y) => compare(x.site, y.site));
    for (const run of cells) {
      counts.included++;
      if (run.signature !== "verified") counts.unverified++;
    }
    boards.set(model.id, modelBoard(model, cells, b));
    primaryInputs.set(model.id, usableSites(primary, inputsFor(cells, primary.id)));
  }

  const siteIds = new Set<string>();
  for (const bySite of latest.values()) for (const s of bySite.keys()) siteIds.add(s);
  const sites: SiteInfo[] = [...siteIds].sort().map((id) => {
    const site = index.sites.get(id)?.data;
    return { id, name: site?.name ?? id, country: site?.country ?? null };
  });

  const cohorts = rankModels(models, boards, primaryInputs, primary, options);
  const order = orderModels(models, boards, cohorts, primary);
  return {
    id: b.id,
    title: b.title,
    description: b.description,
    task: b.task,
    clinical_setting: b.clinical_setting ?? null,
    version: b.version,
    comparable_versions: [...comparable].sort((x, y) => y - x),
    primary_metric: primary.id,
    metrics: metrics.map((m) => ({
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
    sites,
    results: counts,
    ranking: { metric: primary.id, direction: primary.direction, cohorts },
    models: order,
    drift: driftBoard(b, models, ordered),
  };
}

function inputsFor(cells: readonly Run[], metric: string): SiteInput[] {
  const out: SiteInput[] = [];
  for (const run of cells) {
    const value = run.result.metrics[metric];
    if (value) out.push({ site: run.site, value, n: run.result.n });
  }
  return out;
}

function modelBoard(model: Model, cells: readonly Run[], b: Benchmark): ModelBoard {
  const metrics: Record<string, MetricBoard> = {};
  const runOf = new Map(cells.map((r) => [r.site, r]));
  for (const spec of b.metrics) {
    const inputs = inputsFor(cells, spec.id);
    const { pooled, note } = poolMetric(spec, inputs);
    const values = inputs
      .filter((s) => s.value.value !== null)
      .map((s) => ({ site: s.site, value: s.value.value as number }));
    const spread = siteSpread(values, spec.direction);
    metrics[spec.id] = {
      pooled,
      note,
      spread: spread.ok
        ? { worst: spread.worst, best: spread.best, sd: spread.sd, range: spread.range }
        : null,
      sites: inputs.map((s) => {
        const run = runOf.get(s.site) as Run;
        const ci = siteInterval(spec, s.value);
        return {
          site: s.site,
          dataset: run.result.dataset,
          value: s.value.value,
          reason: s.value.reason ?? null,
          se: s.value.se ?? null,
          ci_low: ci?.low ?? null,
          ci_high: ci?.high ?? null,
          ci_reported: ci?.reported ?? false,
          n: s.value.n ?? s.n,
          verified: run.signature === "verified",
        };
      }),
    };
  }
  return {
    id: model.id,
    title: model.title ?? model.id,
    status: model.status,
    ranked: false,
    coverage: { sites: 0, of: 0, full: false, cohort: null },
    rank: null,
    note: null,
    metrics,
    cells: cells.map(cellBoard),
    subgroups: subgroupBoards(b, cells),
    efficiency: efficiency(cells),
  };
}

function cellBoard(run: Run): CellBoard {
  const r = run.result;
  const p = r.provenance;
  return {
    site: run.site,
    dataset: r.dataset,
    file: run.file,
    version: r.benchmark.version,
    n: r.n,
    partial: r.partial ?? false,
    errors: r.errors ?? [],
    signature: run.signature,
    verified: run.signature === "verified",
    signature_detail: run.signatureDetail,
    key: r.signature?.key ?? null,
    governance_commit: p.governance_commit,
    images: { ...p.images },
    dataset_hash: p.dataset_hash,
    tool: p.tool,
    started_at: p.started_at,
    finished_at: p.finished_at,
    isolation: p.isolation,
    hardware: p.hardware
      ? { cpu: p.hardware.cpu ?? null, gpu: p.hardware.gpu ?? null, memory_gb: p.hardware.memory_gb ?? null }
      : null,
    latency_ms_per_case: p.latency_ms_per_case ?? null,
    approval: r.approval ? { ...r.approval } : null,
  };
}

function efficiency(cells: readonly Run[]): EfficiencyBoard {
  const timed = cells.filter((r) => r.result.provenance.latency_ms_per_case !== undefined);
  const mean = caseWeightedMean(
    timed.map((r) => ({
      site: r.site,
      value: r.result.provenance.latency_ms_per_case as number,
      n: r.result.n,
    })),
  );
  const hardware = new Map<string, EfficiencyBoard["hardware"][number]>();
  for (const run of cells) {
    const h = run.result.provenance.hardware;
    if (!h) continue;
    const entry = { cpu: h.cpu ?? null, gpu: h.gpu ?? null, memory_gb: h.memory_gb ?? null };
    const key = JSON.stringify(entry);
    const seen = hardware.get(key);
    if (seen) seen.sites++;
    else hardware.set(key, { ...entry, sites: 1 });
  }
  return {
    latency_ms_per_case: mean.ok
      ? { estimate: mean.estimate, k: mean.k, n: mean.n, min: mean.min, max: mean.max }
      : null,
    hardware: [...hardware.values()].sort(
      (x, y) => y.sites - x.sites || compare(JSON.stringify(x), JSON.stringify(y)),
    ),
  };
}

function gapBoard(cells: readonly SubgroupCellValue[]): SubgroupGapBoard {
  const { stratum: _stratum, ...gap } = subgroupGaps(cells)[0] ?? noGap("");
  return gap;
}

function subgroupBoards(b: Benchmark, cells: readonly Run[]): SubgroupBoard[] {
  const boards: SubgroupBoard[] = [];
  const strata = new Set<string>(b.subgroups?.strata ?? []);
  for (const run of cells) for (const c of run.result.subgroups ?? []) strata.add(c.stratum);
  for (const spec of b.metrics) {
    const reported = cells.some((run) =>
      (run.result.subgroups ?? []).some((c) => c.metrics?.[spec.id] !== undefined),
    );
    if (!reported) continue;
    for (const stratum of strata) {
      const perSite: SubgroupBoard["sites"] = [];
      const labels = new Map<string, { inputs: SiteInput[]; suppressed: number }>();
      for (const run of cells) {
        const own = (run.result.subgroups ?? []).filter((c) => c.stratum === stratum);
        if (own.length === 0) continue;
        const values: SubgroupCellValue[] = own.map((c) => ({
          stratum,
          cell: c.cell,
          value: c.suppressed ? null : (c.metrics[spec.id]?.value ?? null),
          suppressed: c.suppressed === true,
        }));
        perSite.push({
          site: run.site,
          ...gapBoard(values),
          cells: own.map((c) => ({
            cell: c.cell,
            n: c.suppressed ? null : c.n,
            value: c.suppressed ? null : (c.metrics[spec.id]?.value ?? null),
            suppressed: c.suppressed === true,
          })),
        });
        for (const c of own) {
          let label = labels.get(c.cell);
          if (!label) {
            label = { inputs: [], suppressed: 0 };
            labels.set(c.cell, label);
          }
          if (c.suppressed) label.suppressed++;
          else {
            const value = c.metrics[spec.id];
            if (value) label.inputs.push({ site: run.site, value, n: c.n });
          }
        }
      }
      if (perSite.length === 0) continue;
      let largest: SubgroupBoard["largest"] = null;
      for (const s of perSite) {
        if (s.gap !== null && (largest === null || s.gap > (largest.gap as number))) {
          const { cells: _cells, ...rest } = s;
          largest = rest;
        }
      }
      let pooledNote: string | null = null;
      const pooledCells: NonNullable<SubgroupBoard["pooled"]>["cells"] = [];
      for (const [cell, { inputs, suppressed }] of labels) {
        if (inputs.length === 0) {
          pooledCells.push({
            cell,
            n: null,
            value: null,
            suppressed: suppressed > 0,
            k: 0,
            suppressed_sites: suppressed,
          });
          continue;
        }
        const outcome = poolMetric(spec, inputs);
        if (!outcome.pooled) pooledNote ??= `cell ${cell}: ${outcome.note ?? "not pooled"}`;
        pooledCells.push({
          cell,
          n: outcome.pooled?.n ?? null,
          value: outcome.pooled?.estimate ?? null,
          suppressed: false,
          k: outcome.pooled?.k ?? 0,
          suppressed_sites: suppressed,
        });
      }
      const pooled =
        pooledNote === null
          ? {
              ...gapBoard(
                pooledCells.map((c) => ({ stratum, cell: c.cell, value: c.value, suppressed: c.suppressed })),
              ),
              cells: pooledCells,
            }
          : null;
      boards.push({ metric: spec.id, stratum, pooled, pooled_note: pooledNote, largest, sites: perSite });
    }
  }
  return boards;
}

/** Forms cohorts of approved models with the same primary-metric sites, ranks each, fills rank and coverage. */
function rankModels(
  models: readonly Model[],
  boards: Map<string, ModelBoard>,
  inputs: Map<string, SiteInput[]>,
  primary: MetricSpec,
  options: AggregateOptions,
): Cohort[] {
  const approved = models.filter((m) => m.status === "approved");
  const all = new Set<string>();
  for (const m of approved) for (const s of inputs.get(m.id) ?? []) all.add(s.site);
  const groups = new Map<string, { models: string[]; sites: string[] }>();
  for (const m of models) {
    const sites = (inputs.get(m.id) ?? []).map((s) => s.site).sort();
    const board = boards.get(m.id) as ModelBoard;
    board.coverage = {
      sites: sites.length,
      of: all.size,
      full: sites.length > 0 && sites.length === all.size && sites.every((s) => all.has(s)),
      cohort: null,
    };
    if (m.status !== "approved") {
      board.note = `${m.status}: shown for the record, not ranked`;
      continue;
    }
    if (sites.length === 0) {
      board.note = `no site reports a usable ${primary.id}: not ranked`;
      continue;
    }
    const key = sites.join(",");
    const group = groups.get(key);
    if (group) group.models.push(m.id);
    else groups.set(key, { models: [m.id], sites });
  }
  const sorted = [...groups.values()].sort(
    (x, y) =>
      y.models.length - x.models.length ||
      y.sites.length - x.sites.length ||
      compare(x.models[0] as string, y.models[0] as string),
  );
  const pool = drawPool(primary);
  return sorted.map((group, i) => {
    const id = `c${i + 1}`;
    const cohort: Cohort = {
      id,
      main: i === 0,
      ranked: group.models.length > 1,
      models: group.models,
      sites: group.sites,
    };
    for (const m of group.models) (boards.get(m) as ModelBoard).coverage.cohort = id;
    if (!cohort.ranked) {
      const board = boards.get(group.models[0] as string) as ModelBoard;
      board.note =
        approvedCount(models) === 1
          ? "the only approved model: nothing to rank against"
          : `not ranked: no other model reports ${primary.id} on the same ${group.sites.length} site${group.sites.length === 1 ? "" : "s"}`;
      return cohort;
    }
    const rankInputs: RankInput<RankDatum>[] = group.models.map((m) => ({
      model: m,
      sites: new Map(rankData(primary, inputs.get(m) ?? []).map((d) => [d.input.site, d])),
    }));
    const ranks = bootstrapRanks(rankInputs, {
      pool,
      direction: primary.direction,
      seed: options.seed,
      replicates: options.replicates,
      level: LEVEL,
    });
    cohort.models = ranks.map((r) => r.model);
    for (const r of ranks) {
      const board = boards.get(r.model) as ModelBoard;
      if (r.rank === null) {
        board.note = `${primary.id} could not be pooled: not ranked`;
        continue;
      }
      board.ranked = true;
      board.rank = {
        rank: r.rank,
        low: r.rank_low as number,
        high: r.rank_high as number,
        tie_group: r.group as number,
        cohort: id,
      };
      if (!board.coverage.full) {
        board.note = `partial coverage: ${board.coverage.sites} of ${board.coverage.of} sites; ranked only among the ${group.models.length} models with the same sites (cohort ${id})`;
      }
    }
    return cohort;
  });
}

function approvedCount(models: readonly Model[]): number {
  return models.filter((m) => m.status === "approved").length;
}

/** Main cohort in rank order, then the other cohorts, then unranked approved models (best first), then the rest. */
function orderModels(
  models: readonly Model[],
  boards: Map<string, ModelBoard>,
  cohorts: readonly Cohort[],
  primary: MetricSpec,
): ModelBoard[] {
  const out: ModelBoard[] = [];
  const placed = new Set<string>();
  for (const c of cohorts) {
    if (!c.ranked) continue;
    for (const m of c.models) {
      const board = boards.get(m) as ModelBoard;
      if (board.ranked) {
        out.push(board);
        placed.add(m);
      }
    }
  }
  const estimate = (m: ModelBoard) => m.metrics[primary.id]?.pooled?.estimate ?? null;
  const statusOrder = { approved: 0, suspended: 1, withdrawn: 2, proposed: 3 } as const;
  const rest = models
    .map((m) => boards.get(m.id) as ModelBoard)
    .filter((m) => !placed.has(m.id))
    .sort((x, y) => {
      const s = statusOrder[x.status] - statusOrder[y.status];
      if (s) return s;
      const a = estimate(x);
      const bb = estimate(y);
      if (a !== null && bb !== null && a !== bb) return isBetter(a, bb, primary.direction) ? -1 : 1;
      if ((a === null) !== (bb === null)) return a === null ? 1 : -1;
      return compare(x.id, y.id);
    });
  return [...out, ...rest];
}

function driftBoard(
  b: Benchmark,
  models: readonly Model[],
  ordered: Map<string, Map<string, Run[]>>,
): DriftBoard {
  const metric = b.drift?.metric ?? ((b.metrics.find((m) => m.primary) ?? b.metrics[0]) as MetricSpec).id;
  const spec = b.metrics.find((m) => m.id === metric) as MetricSpec;
  const series: DriftBoard["series"] = [];
  for (const model of models) {
    if (model.status !== "approved") continue;
    for (const [site, list] of [...(ordered.get(model.id) ?? new Map<string, Run[]>())].sort((x, y) =>
      compare(x[0], y[0]),
    )) {
      if (list.length < 2) continue;
      series.push({ model: model.id, site, runs: list.map((run) => driftRun(run, metric)) });
    }
  }
  const runsOf = new Map(series.map((s) => [`${s.model}\u0000${s.site}`, s.runs]));
  const alerts =
    b.drift === undefined
      ? []
      : driftAlerts(
          series.map((s) => ({
            model: s.model,
            site: s.site,
            runs: s.runs.map((r, i) => ({ run: String(i), value: r.value })),
          })),
          { maxDrop: b.drift.max_drop, direction: spec.direction },
        ).map((a) => {
          const runs = runsOf.get(`${a.model}\u0000${a.site}`) as DriftRunBoard[];
          return {
            model: a.model,
            site: a.site,
            run: runs[Number(a.run)] as DriftRunBoard,
            baseline: runs[Number(a.baseline_run)] as DriftRunBoard,
            drop: a.drop,
          };
        });
  return { metric, direction: spec.direction, max_drop: b.drift?.max_drop ?? null, series, alerts };
}

function driftRun(run: Run, metric: string): DriftRunBoard {
  return {
    dataset: run.result.dataset,
    version: run.result.benchmark.version,
    finished_at: run.result.provenance.finished_at,
    value: run.result.metrics[metric]?.value ?? null,
    file: run.file,
    commit: run.commit,
    verified: run.signature === "verified",
  };
}
