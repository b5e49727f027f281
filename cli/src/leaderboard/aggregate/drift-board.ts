/**
 * Drift: for each approved model and site with more than one run (the latest and the earlier
 * ones, from older datasets and from git history), the series of one metric oldest first, and
 * the runs that dropped more than the benchmark's threshold below the best before them.
 */
import { getOrThrow } from "../../base/maps.ts";
import type { Benchmark, MetricSpec, Model } from "../../governance/types.ts";
import { driftAlerts } from "../../stats/drift.ts";
import type { DriftBoard, DriftRunBoard } from "../types.ts";
import { compareText } from "./compare.ts";
import type { Run, RunsBySite } from "./runs.ts";

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

/** The drift series of the benchmark's drift metric (the primary metric unless it names one). */
export function driftBoard(
  b: Benchmark,
  primary: MetricSpec,
  models: readonly Model[],
  ordered: RunsBySite<Run[]>,
): DriftBoard {
  const metric = b.drift?.metric ?? primary.id;
  const spec = b.metrics.find((m) => m.id === metric) as MetricSpec;
  const series: DriftBoard["series"] = [];
  for (const model of models) {
    if (model.status !== "approved") continue;
    const bySite = [...(ordered.get(model.id) ?? new Map<string, Run[]>())];
    for (const [site, list] of bySite.sort((x, y) => compareText(x[0], y[0]))) {
      if (list.length < 2) continue;
      series.push({ model: model.id, site, runs: list.map((run) => driftRun(run, metric)) });
    }
  }
  const seriesKey = (s: { model: string; site: string }) => `${s.model}\u0000${s.site}`;
  const runsOf = new Map(series.map((s) => [seriesKey(s), s.runs]));
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
          const runs = getOrThrow(runsOf, seriesKey(a), "drift series");
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
