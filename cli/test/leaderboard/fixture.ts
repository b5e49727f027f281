/**
 * Governance trees for leaderboard tests: the test benchmark (3 sites, 3 models) with results
 * whose numbers differ by model and site and agree with their own statistics (a result's AUC is
 * its histogram's AUC, its sensitivity its counts'), signed with the test site keys.
 */
import { governanceFileText } from "../../src/governance/governance-file.ts";
import type { Dataset, MetricValue, Result } from "../../src/governance/types.ts";
import { DEFAULT_PRECISION, roundMetricValue, roundToPrecision } from "../../src/results/precision.ts";
import { signResult } from "../../src/results/signature.ts";
import { histogramAuc } from "../../src/stats/histogram.ts";
import {
  BENCHMARK,
  governanceFiles,
  SITE_KEY_ID,
  siteKey,
  TEST_MODELS,
  TEST_SITES,
} from "../helpers/fixtures.ts";
import { TEST_IMAGES, testDataset, testResult, writeTree } from "../helpers/governance-tree.ts";

export { BENCHMARK };
export const SITES: string[] = TEST_SITES.map((s) => s.id);
export const MODELS: string[] = TEST_MODELS.map((m) => m.id);

/** How far up the score bins each model's positives start, per site (higher = better AUC). */
export const SHIFT: Record<string, number[]> = {
  "effusion-net-v2": [9, 8, 10],
  "reference-logistic": [5, 6, 5],
  "shortcut-cnn": [6, 2, 7],
};

/** 120 positives from bin `shift` up (6 per bin, the rest in the top bin) and 280 negatives, 14 per bin. */
export function histogram(shift: number): { bins: number; positive: number[]; negative: number[] } {
  const positive = Array.from({ length: 20 }, (_, bin): number => (bin >= shift ? 6 : 0));
  positive[19] = (positive[19] as number) + 120 - positive.reduce((a, b) => a + b, 0);
  return { bins: 20, positive, negative: new Array<number>(20).fill(14) };
}

/** Confusion counts at a threshold of bin 10 for the histogram above. */
export function counts(shift: number): { tp: number; fp: number; tn: number; fn: number } {
  const h = histogram(shift);
  const tp = h.positive.slice(10).reduce((a, b) => a + b, 0);
  return { tp, fn: 120 - tp, tn: 140, fp: 140 };
}

/** A site's ECE as it sends it (rounded to the metric's precision). */
export function ece(model: number, site: number): { value: number; se: number } {
  const round = (x: number) => roundToPrecision(x, DEFAULT_PRECISION);
  return { value: round(0.03 + 0.01 * model + 0.004 * site * site), se: round(0.004 + 0.002 * site) };
}

export interface ResultOptions {
  model: string;
  dataset: Dataset;
  shift: number;
  finishedAt?: string;
  version?: number;
  latency?: number;
  sign?: boolean;
}

export function result(o: ResultOptions): Result {
  const base = testResult(o.dataset, o.model, false);
  const h = histogram(o.shift);
  const c = counts(o.shift);
  const auc = histogramAuc(h);
  if (!auc.ok) throw new Error("bad histogram");
  const m = MODELS.indexOf(o.model);
  const s = SITES.indexOf(o.dataset.site);
  const finished = o.finishedAt ?? "2026-11-20T01:07:12Z";
  const r: Result = {
    ...base,
    benchmark: { id: BENCHMARK, version: o.version ?? 1 },
    metrics: {
      auc: { value: auc.estimate, histogram: h },
      sensitivity: { value: c.tp / (c.tp + c.fn), counts: c },
      specificity: { value: c.tn / (c.tn + c.fp), counts: c },
      ece: ece(m, s),
    },
    subgroups: [
      {
        stratum: "sex",
        cell: "F",
        n: 210,
        metrics: {
          auc: { value: auc.estimate - 0.02 * (m + 1) },
          sensitivity: { value: 0.7, counts: { tp: 42, fn: 18, tn: 70, fp: 80 } },
        },
      },
      {
        stratum: "sex",
        cell: "M",
        n: 190,
        metrics: {
          auc: { value: auc.estimate + 0.01 },
          sensitivity: { value: 0.8, counts: { tp: 48, fn: 12, tn: 70, fp: 60 } },
        },
      },
      { stratum: "scanner_vendor", cell: "vendor-a", n: 380, metrics: { auc: { value: auc.estimate } } },
      { stratum: "scanner_vendor", cell: "vendor-b", suppressed: true },
    ],
    provenance: {
      ...base.provenance,
      finished_at: finished,
      started_at: new Date(Date.parse(finished) - 600_000).toISOString().replace(".000Z", "Z"),
      hardware: s === 1 ? { cpu: "16 x Xeon", gpu: "NVIDIA L4" } : { cpu: "16 x Xeon" },
      ...(o.latency !== undefined ? { latency_ms_per_case: o.latency } : {}),
    },
    approval: {
      by: base.approval?.by ?? "site-admin",
      at: new Date(Date.parse(finished) + 3_600_000).toISOString().replace(".000Z", "Z"),
      policy: "manual",
    },
  };
  // as a site sends it: every real number rounded to the metric's precision
  r.metrics = roundMetrics(r.metrics);
  for (const cell of r.subgroups ?? []) if (!cell.suppressed) cell.metrics = roundMetrics(cell.metrics);
  return o.sign === false ? r : signResult(r, SITE_KEY_ID, siteKey(o.dataset.site).privateKey);
}

function roundMetrics(metrics: Record<string, MetricValue>): Record<string, MetricValue> {
  return Object.fromEntries(
    Object.entries(metrics).map(([id, v]) => [id, roundMetricValue(v, DEFAULT_PRECISION)]),
  );
}

/** The standard tree's results: every model on every site's 2026q4 dataset. */
export function standardResults(): { datasets: Dataset[]; results: Result[] } {
  const datasets = SITES.map((s) => testDataset(s));
  const results = datasets.flatMap((d, s) =>
    MODELS.map((m) =>
      result({
        model: m,
        dataset: d,
        shift: (SHIFT[m] as number[])[s] as number,
        latency: 20 + 10 * s + MODELS.indexOf(m),
      }),
    ),
  );
  return { datasets, results };
}

export function resultPath(dataset: string, model: string): string {
  return `benchmarks/${BENCHMARK}/results/${dataset}/${model}.yaml`;
}

export function resultFile(r: Result): string {
  return governanceFileText("result", r);
}

/** Files of a tree; `edit` may change them before they are written. */
export function treeFiles(extra?: { datasets?: Dataset[]; results?: Result[] }): Map<string, string> {
  const { datasets, results } = standardResults();
  return governanceFiles({
    images: TEST_IMAGES,
    datasets: [...datasets, ...(extra?.datasets ?? [])],
    results: [...results, ...(extra?.results ?? [])],
  });
}

export async function makeBoardTree(
  edit?: (files: Map<string, string>) => void,
  extra?: { datasets?: Dataset[]; results?: Result[] },
): Promise<string> {
  const files = treeFiles(extra);
  edit?.(files);
  return writeTree(files);
}

/** A second, later dataset of a site (a re-registration). */
export function laterDataset(site: string, id = `${site}-2027q1`): Dataset {
  return {
    ...testDataset(site),
    id,
    hash: `fedeval-tree-v1:sha256:${"ab".repeat(32)}`,
    prepared_at: "2027-01-05T00:00:00Z",
  };
}
