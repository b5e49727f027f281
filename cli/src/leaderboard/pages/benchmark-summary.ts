/** What the benchmark page and the report both say about a benchmark: its spec and its results. */
import type { BenchmarkBoard, MetricInfo } from "../types.ts";
import { DASH, fmt, plural } from "./format.ts";

/** The benchmark as declared. */
export interface SpecView {
  id: string;
  title: string;
  description: string;
  task: string;
  clinical_setting: string | null;
  version: string;
  comparable: string;
  isolation: string;
  images: { role: string; image: string }[];
  metrics: {
    id: string;
    title: string;
    group: MetricInfo["group"];
    direction: string;
    pooling: MetricInfo["pooling"];
    primary: boolean;
    range: string;
    unit: string;
  }[];
  subgroups: string;
  drift: string;
}

/** How many results count, and what was left out. */
export interface ResultsSummary {
  included: string;
  unverified: string | null;
  earlier: string | null;
  excluded: string | null;
}

export function resultsSummary(b: BenchmarkBoard): ResultsSummary {
  const excluded = Object.entries(b.results.excluded)
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${n} ${reason.replace(/-/g, " ")}`);
  return {
    included: plural(b.results.included, "result"),
    unverified: b.results.unverified
      ? `${plural(b.results.unverified, "result")} not verified (preview built with --allow-unsigned)`
      : null,
    earlier: b.results.earlier_runs ? `${plural(b.results.earlier_runs, "earlier run")} (drift only)` : null,
    excluded: excluded.length ? `Left out: ${excluded.join(", ")}.` : null,
  };
}

export function specView(b: BenchmarkBoard): SpecView {
  return {
    id: b.id,
    title: b.title,
    description: b.description,
    task: b.task,
    clinical_setting: b.clinical_setting,
    version: String(b.version),
    comparable: b.comparable_versions.join(", "),
    isolation: b.isolation_required ? "required (Docker, no network, read-only inputs)" : "not required",
    images: [
      { role: "preparation", image: b.images.preparation },
      { role: "reference model", image: b.images.reference_model },
      { role: "evaluator", image: b.images.evaluator },
    ],
    metrics: b.metrics.map((m) => ({
      id: m.id,
      title: m.title,
      group: m.group,
      direction: m.direction === "higher" ? "higher is better" : "lower is better",
      pooling: m.pooling,
      primary: m.primary,
      range: m.range ? `${m.range[0]}–${m.range[1]}` : DASH,
      unit: m.unit ?? "",
    })),
    subgroups: b.subgroups
      ? `${b.subgroups.strata.join(", ")}; cells under ${b.subgroups.min_cell} cases are suppressed at the site`
      : "none declared",
    drift: b.drift_threshold
      ? `alert when ${b.drift_threshold.metric} drops by more than ${fmt(b.drift_threshold.max_drop)}`
      : "no threshold declared",
  };
}
