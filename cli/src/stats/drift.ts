import { type Direction, isBetter } from "./shared.ts";

/** One run of a model on a site (a run, or a new dataset version). */
export interface DriftRun {
  /** What identifies the run on the page, e.g. the result file or dataset id. */
  run: string;
  /** Null when the run produced no value; such runs are skipped. */
  value: number | null;
}

/** A model's metric on one site across runs, in time order (oldest first). */
export interface DriftSeries {
  model: string;
  site: string;
  runs: readonly DriftRun[];
}

export interface DriftAlert {
  model: string;
  site: string;
  run: string;
  value: number;
  /** The best earlier run, which the drop is measured from. */
  baseline_run: string;
  baseline_value: number;
  /** How much worse than the baseline, in the metric's units (positive = worse). */
  drop: number;
}

/** Tolerance so that a drop equal to the threshold up to rounding (0.90 − 0.85) does not alert. */
const ROUNDING = 1e-9;

/**
 * Drift alerts: for each run, the drop from the best earlier value of the same model on the
 * same site (best in `direction`, so a slow decline is caught as well as a sudden one). A run
 * alerts when its drop exceeds `maxDrop` — the benchmark's `drift.max_drop`; `fedeval drift`
 * exits 1 when this returns any alert.
 */
export function driftAlerts(
  series: readonly DriftSeries[],
  options: { maxDrop: number; direction: Direction },
): DriftAlert[] {
  const { maxDrop, direction } = options;
  if (!(Number.isFinite(maxDrop) && maxDrop >= 0))
    throw new RangeError(`maxDrop must be >= 0, got ${maxDrop}`);
  const alerts: DriftAlert[] = [];
  for (const { model, site, runs } of series) {
    let baseline: { run: string; value: number } | null = null;
    for (const { run, value } of runs) {
      if (value === null || !Number.isFinite(value)) continue;
      if (baseline !== null) {
        const drop = direction === "higher" ? baseline.value - value : value - baseline.value;
        if (drop - maxDrop > ROUNDING) {
          alerts.push({
            model,
            site,
            run,
            value,
            baseline_run: baseline.run,
            baseline_value: baseline.value,
            drop,
          });
        }
      }
      if (baseline === null || isBetter(value, baseline.value, direction)) baseline = { run, value };
    }
  }
  return alerts;
}
