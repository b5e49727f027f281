/**
 * One model on one benchmark, before ranking: each metric pooled across the sites whose run
 * counts, the sites' own values and intervals, the runs' provenance, subgroups and efficiency.
 */
import { getOrThrow } from "../../base/maps.ts";
import type { Benchmark, MetricSpec, Model } from "../../governance/types.ts";
import type { SiteInput } from "../../results/pooling/method.ts";
import { poolMetric, siteInterval, usableSites } from "../../results/pooling.ts";
import { caseWeightedMean } from "../../stats/mean.ts";
import { siteSpread } from "../../stats/spread.ts";
import type { CellBoard, EfficiencyBoard, MetricBoard, ModelBoard, ResultCounts } from "../types.ts";
import { compareText } from "./compare.ts";
import type { Run, RunsBySite } from "./runs.ts";
import { subgroupBoards } from "./subgroup-board.ts";

/** Each site's value of `metric`, from the runs that report it. */
export function inputsFor(cells: readonly Run[], metric: string): SiteInput[] {
  const out: SiteInput[] = [];
  for (const run of cells) {
    const value = run.result.metrics[metric];
    if (value) out.push({ site: run.site, value, n: run.result.n });
  }
  return out;
}

/** The models' boards, unranked, and each model's sites usable for the primary metric. */
export interface ModelBoards {
  boards: Map<string, ModelBoard>;
  primaryInputs: Map<string, SiteInput[]>;
}

/**
 * A board per model from the latest run of each site; counts the included and unverified
 * results into `counts`.
 */
export function modelBoards(
  b: Benchmark,
  models: readonly Model[],
  latest: RunsBySite<Run>,
  primary: MetricSpec,
  counts: ResultCounts,
): ModelBoards {
  const boards = new Map<string, ModelBoard>();
  const primaryInputs = new Map<string, SiteInput[]>();
  for (const model of models) {
    const cells = [...(latest.get(model.id)?.values() ?? [])].sort((x, y) => compareText(x.site, y.site));
    for (const run of cells) {
      counts.included++;
      if (run.signature !== "verified") counts.unverified++;
    }
    boards.set(model.id, modelBoard(model, cells, b));
    primaryInputs.set(model.id, usableSites(primary, inputsFor(cells, primary.id)));
  }
  return { boards, primaryInputs };
}

function metricBoard(spec: MetricSpec, cells: readonly Run[], runOf: ReadonlyMap<string, Run>): MetricBoard {
  const inputs = inputsFor(cells, spec.id);
  const { pooled, note } = poolMetric(spec, inputs);
  const values = inputs
    .filter((s) => s.value.value !== null)
    .map((s) => ({ site: s.site, value: s.value.value as number }));
  const spread = siteSpread(values, spec.direction);
  return {
    pooled,
    note,
    spread: spread.ok ? { worst: spread.worst, best: spread.best, sd: spread.sd, range: spread.range } : null,
    sites: inputs.map((s) => {
      const run = getOrThrow(runOf, s.site, "run of site");
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

function modelBoard(model: Model, cells: readonly Run[], b: Benchmark): ModelBoard {
  const metrics: Record<string, MetricBoard> = {};
  const runOf = new Map(cells.map((r) => [r.site, r]));
  for (const spec of b.metrics) metrics[spec.id] = metricBoard(spec, cells, runOf);
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
      (x, y) => y.sites - x.sites || compareText(JSON.stringify(x), JSON.stringify(y)),
    ),
  };
}
