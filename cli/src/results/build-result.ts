/**
 * Turns what an evaluator wrote (`results.yaml`) into a typed, pending result.
 *
 * Privacy by construction: only the benchmark's declared metrics survive, each as numbers in
 * the declared shape (value, se, ci, confusion counts, score histogram). Any other key, string,
 * NaN or out-of-range number is dropped and reported, so a hostile evaluator cannot smuggle
 * patient data out through a free-text field. A subgroup cell must carry one of the labels the
 * benchmark declares for its stratum (no label derived from the data leaves), and cells under
 * the benchmark's minimum count are suppressed here, before the data owner ever sees the approval
 * screen. Every real number is rounded to the metric's declared precision (./precision.ts), so
 * the digits an evaluator writes carry a bounded number of bits. A value that disagrees with the
 * counts or histogram beside it (./metric-agreement.ts), which the leaderboard would pool
 * instead, is dropped too. The reasons never quote a value: they
 * go to the site's logs before anyone approved anything.
 *
 * Evaluators may write fedeval's shape (`{n, metrics: {id: {value, ...}}, subgroups: [...]}`)
 * or MedPerf's flat shape (`{AUC: 0.81, Accuracy: 0.9}`); each metric is read at its `key` (a
 * key as the evaluator spells it, or nested keys), by default at its id.
 */
import type {
  Benchmark,
  MetricSpec,
  MetricValue,
  NullReason,
  Result,
  SubgroupCell,
} from "../governance/types.ts";
import { metricDisagreement } from "./metric-agreement.ts";
import { poolingOf } from "./pooling.ts";
import { precisionOf, roundMetricValue, roundToPrecision } from "./precision.ts";

export interface Dropped {
  /** Where in the evaluator output, e.g. `metrics.auc.note` or `patient_ids`. */
  path: string;
  why: string;
}

export interface EvaluatorOutput {
  n: number;
  metrics: Record<string, MetricValue>;
  subgroups: SubgroupCell[];
  dropped: Dropped[];
}

const NULL_REASONS: readonly NullReason[] = [
  "not-applicable",
  "undefined",
  "suppressed",
  "model-error",
  "evaluator-error",
];
/** Keep results small: a histogram beyond this many bins is refused. */
const MAX_BINS = 1000;

const isCount = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0;
const isFiniteNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function cleanMetric(
  spec: MetricSpec,
  raw: unknown,
  n: number,
  at: string,
  dropped: Dropped[],
): MetricValue | undefined {
  const obj = isRecord(raw) ? raw : { value: raw };
  const value = obj.value;
  if (value === null) {
    const reason = NULL_REASONS.includes(obj.reason as NullReason) ? (obj.reason as NullReason) : "undefined";
    if (obj.reason !== undefined && reason !== obj.reason)
      dropped.push({ path: `${at}.reason`, why: "not one of the allowed reasons" });
    return { value: null, reason };
  }
  if (!isFiniteNumber(value)) {
    dropped.push({
      path: at,
      why: typeof value === "number" ? "not a finite number" : `a ${typeof value}, not a number`,
    });
    return undefined;
  }
  // rounded before anything else looks at it: the range, the agreement, the person approving
  const digits = precisionOf(spec);
  const rounded = roundToPrecision(value, digits);
  if (spec.range && (rounded < spec.range[0] || rounded > spec.range[1])) {
    dropped.push({ path: at, why: `outside the declared range [${spec.range.join(", ")}]` });
    return undefined;
  }
  const out: MetricValue = { value: rounded };
  for (const [key, v] of Object.entries(obj)) {
    if (key === "value") continue;
    const path = `${at}.${key}`;
    if (key === "se" && isFiniteNumber(v) && v >= 0) out.se = v;
    else if (
      key === "ci" &&
      Array.isArray(v) &&
      v.length === 2 &&
      v.every(isFiniteNumber) &&
      (v[0] as number) <= (v[1] as number)
    )
      out.ci = [v[0] as number, v[1] as number];
    else if (key === "n" && isCount(v)) out.n = v;
    else if (
      key === "counts" &&
      isRecord(v) &&
      ["tp", "fp", "tn", "fn"].every((k) => isCount(v[k])) &&
      Object.keys(v).length === 4
    ) {
      out.counts = { tp: v.tp as number, fp: v.fp as number, tn: v.tn as number, fn: v.fn as number };
    } else if (
      key === "histogram" &&
      isRecord(v) &&
      Number.isInteger(v.bins) &&
      (v.bins as number) >= 2 &&
      (v.bins as number) <= MAX_BINS &&
      Array.isArray(v.positive) &&
      Array.isArray(v.negative) &&
      v.positive.length === v.bins &&
      v.negative.length === v.bins &&
      [...v.positive, ...v.negative].every(isCount) &&
      Object.keys(v).length === 3
    ) {
      out.histogram = {
        bins: v.bins as number,
        positive: [...(v.positive as number[])],
        negative: [...(v.negative as number[])],
      };
    } else dropped.push({ path, why: "not a declared field of a metric, or not in its numeric shape" });
  }
  const cleaned = roundMetricValue(out, digits);
  const disagreement = metricDisagreement(spec, cleaned, n);
  if (disagreement) {
    dropped.push({ path: at, why: disagreement.reason });
    return undefined;
  }
  return cleaned;
}

/** Where a metric sits in an evaluator's metrics: its `key` (one key, or nested keys), else its id. */
export function metricKeyPath(spec: Pick<MetricSpec, "id" | "key">): string[] {
  if (spec.key === undefined) return [spec.id];
  return typeof spec.key === "string" ? [spec.key] : spec.key;
}

/** The value at `path` of nested mappings; undefined when a key is missing or a step is not a mapping. */
export function valueAt(raw: unknown, path: readonly string[]): unknown {
  let v = raw;
  for (const key of path) v = isRecord(v) && Object.hasOwn(v, key) ? v[key] : undefined;
  return v;
}

function cleanMetrics(
  benchmark: Benchmark,
  raw: Record<string, unknown>,
  n: number,
  at: string,
  dropped: Dropped[],
  all: boolean,
): Record<string, MetricValue> {
  const out: Record<string, MetricValue> = {};
  const read: string[][] = [];
  for (const spec of benchmark.metrics) {
    const path = metricKeyPath(spec);
    const v = valueAt(raw, path);
    if (v === undefined) continue;
    read.push(path);
    const m = cleanMetric(spec, v, n, [at, ...path].join("."), dropped);
    out[spec.id] = m ?? { value: null, reason: "evaluator-error" };
  }
  dropUnread(raw, read, at, dropped);
  if (all) for (const spec of benchmark.metrics) out[spec.id] ??= { value: null, reason: "evaluator-error" };
  return out;
}

/** Reports every key of `raw` no declared metric reads (keys on the way to a nested metric are walked into). */
function dropUnread(raw: Record<string, unknown>, read: string[][], at: string, dropped: Dropped[]): void {
  for (const [key, v] of Object.entries(raw)) {
    const below = read.filter((p) => p[0] === key);
    if (!below.length) dropped.push({ path: `${at}.${key}`, why: "not a metric the benchmark declares" });
    else if (!below.some((p) => p.length === 1) && isRecord(v))
      dropUnread(
        v,
        below.map((p) => p.slice(1)),
        `${at}.${key}`,
        dropped,
      );
  }
}

/**
 * What a metric's value lacks to be pooled across sites the way the benchmark declares (validate's
 * FE222): the field its pooling method needs beside the value, or histogram bins other than the
 * declared ones. `field` is where, below the metric. Undefined when it can be pooled (or is null).
 */
export function poolingGap(
  spec: MetricSpec,
  value: MetricValue,
): { field: string[]; message: string } | undefined {
  if (value.value === null) return undefined;
  const need = poolingOf(spec).field;
  if (need && value[need] === undefined) {
    return {
      field: [],
      message: `${spec.id} pools by "${spec.pooling}" across sites and needs "${need}" beside its value`,
    };
  }
  const bins = value.histogram?.bins;
  if (
    spec.pooling === "histogram" &&
    bins !== undefined &&
    spec.histogram_bins &&
    bins !== spec.histogram_bins
  ) {
    return {
      field: ["histogram", "bins"],
      message: `${spec.id} histogram has ${bins} bins; the benchmark declares ${spec.histogram_bins}`,
    };
  }
  return undefined;
}

/**
 * Reads an evaluator's output. `caseCount` is the number of cases the site prepared, used when
 * the evaluator does not say `n` (MedPerf evaluators do not).
 */
export function readEvaluatorOutput(benchmark: Benchmark, raw: unknown, caseCount: number): EvaluatorOutput {
  const dropped: Dropped[] = [];
  if (!isRecord(raw)) {
    return {
      n: caseCount,
      metrics: cleanMetrics(benchmark, {}, caseCount, "metrics", dropped, true),
      subgroups: [],
      dropped: [{ path: "", why: "results.yaml is not a mapping" }],
    };
  }
  const fedevalShape = isRecord(raw.metrics);
  const metricsRaw = fedevalShape ? (raw.metrics as Record<string, unknown>) : raw;
  if (fedevalShape) {
    for (const key of Object.keys(raw))
      if (!["n", "metrics", "subgroups"].includes(key))
        dropped.push({ path: key, why: "not part of an evaluator's output" });
  }
  let n = caseCount;
  if (fedevalShape && raw.n !== undefined) {
    if (isCount(raw.n)) n = raw.n;
    else dropped.push({ path: "n", why: "not a case count" });
  }
  const metrics = cleanMetrics(benchmark, metricsRaw, n, "metrics", dropped, true);
  const subgroups: SubgroupCell[] = [];
  const strata = new Set(benchmark.subgroups?.strata ?? []);
  const minCell = benchmark.subgroups?.min_cell ?? 1;
  if (fedevalShape && raw.subgroups !== undefined) {
    if (!Array.isArray(raw.subgroups)) dropped.push({ path: "subgroups", why: "not a list" });
    else
      raw.subgroups.forEach((cell: unknown, i) => {
        const at = `subgroups[${i}]`;
        if (
          !isRecord(cell) ||
          typeof cell.stratum !== "string" ||
          !strata.has(cell.stratum) ||
          typeof cell.cell !== "string" ||
          !isCount(cell.n)
        ) {
          dropped.push({ path: at, why: "not a cell of a declared stratum with a label and a count" });
          return;
        }
        if (!benchmark.subgroups?.cells[cell.stratum]?.includes(cell.cell)) {
          dropped.push({ path: at, why: "not one of the cells the benchmark declares for its stratum" });
          return;
        }
        if (cell.n < minCell) {
          subgroups.push({ stratum: cell.stratum, cell: cell.cell, suppressed: true });
          return;
        }
        const cellMetrics = isRecord(cell.metrics)
          ? cleanMetrics(benchmark, cell.metrics, cell.n, `${at}.metrics`, dropped, false)
          : {};
        subgroups.push({ stratum: cell.stratum, cell: cell.cell, n: cell.n, metrics: cellMetrics });
      });
  }
  return { n, metrics, subgroups, dropped };
}

/**
 * What keeps a result's metrics from being pooled the way the benchmark declares (a MedPerf
 * evaluator's flat results.yaml gives values alone): refused here, before anyone approves it,
 * rather than by `submit`'s validation.
 */
export function unpoolable(benchmark: Benchmark, output: Pick<EvaluatorOutput, "metrics">): string[] {
  return benchmark.metrics.flatMap((spec) => {
    const value = output.metrics[spec.id];
    const gap = value && poolingGap(spec, value);
    return gap ? [gap.message] : [];
  });
}

export type PendingResult = Omit<Result, "approval" | "signature">;

export function pendingResult(
  benchmark: Benchmark,
  ids: { model: string; dataset: string },
  output: EvaluatorOutput,
  provenance: Result["provenance"],
  flags: { partial?: boolean; errors?: Result["errors"] } = {},
): PendingResult {
  const result: PendingResult = {
    schema: "fedeval/result@1",
    benchmark: { id: benchmark.id, version: benchmark.version },
    model: ids.model,
    dataset: ids.dataset,
    n: output.n,
    metrics: output.metrics,
    provenance,
  };
  if (output.subgroups.length) result.subgroups = output.subgroups;
  if (flags.partial) result.partial = true;
  if (flags.errors?.length) result.errors = flags.errors;
  return result;
}
