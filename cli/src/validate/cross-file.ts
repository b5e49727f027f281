/**
 * Cross-file rules (DESIGN.md section 2): the invariants MedPerf's server enforces, checked here
 * as pull-request checks. Each problem is reported at the YAML node that is wrong.
 *
 * Some rules concern history: a benchmark bump makes older datasets stale, a suspension makes a
 * model's earlier results unrankable. Those are errors in files a change touches and warnings
 * elsewhere, so `main` stays valid after a committee bumps or suspends, while no new file may be
 * added in that state.
 */
import type { Diagnostic } from "../base/diagnostics.ts";
import { containerType } from "../containers/container-types.ts";
import { type RuleId, ruleName } from "../formats/rules.ts";
import { diagnosticAt, diagnosticAtPath, type PathSegment } from "../formats/yaml-source.ts";
import {
  approvedContent,
  checkStatus,
  contentDigest,
  countDecisions,
  missingDecisions,
} from "../governance/committee-approval.ts";
import { paths } from "../governance/layout.ts";
import type { BenchmarkFolder, Entry, GovernanceIndex } from "../governance/loader.ts";
import type {
  Benchmark,
  ContainerReference,
  Dataset,
  MetricValue,
  Model,
  Result,
} from "../governance/types.ts";
import { poolingGap } from "../results/build-result.ts";
import { metricDisagreement } from "../results/metric-agreement.ts";
import { precisionOf, realsOf, roundToPrecision } from "../results/precision.ts";
import { checkResultSignature } from "../results/signature.ts";
import { checkPlaceholders } from "./placeholders.ts";

export interface CrossFileOptions {
  /** Files a change touches (`--changed-since`): history rules are errors in these, warnings elsewhere. */
  changed?: ReadonlySet<string>;
}

/** Tasks each container role must provide (MedPerf's task names). */
const ROLE_TASKS: Record<string, string[]> = {
  preparation: ["prepare", "sanity_check", "statistics"],
  reference_model: ["infer"],
  evaluator: ["evaluate"],
  model: ["infer"],
};

class Reporter {
  readonly diagnostics: Diagnostic[] = [];
  constructor(private readonly changed: ReadonlySet<string> | undefined) {}

  at<T>(
    entry: Entry<T>,
    path: PathSegment[],
    rule: RuleId,
    message: string,
    opts: { key?: boolean; severity?: "error" | "warning" } = {},
  ): void {
    const d = diagnosticAtPath(entry.source, path, rule, ruleName(rule), message, opts);
    if (opts.severity) d.severity = opts.severity;
    this.diagnostics.push(d);
  }

  /** A history rule: an error in the files a change touches, a warning in everything else. */
  history<T>(entry: Entry<T>, path: PathSegment[], rule: RuleId, message: string): void {
    const severity = this.changed?.has(entry.file) ? "error" : "warning";
    this.at(entry, path, rule, message, { severity });
  }

  file(file: string, rule: RuleId, message: string): void {
    this.diagnostics.push(diagnosticAt({ file }, undefined, rule, ruleName(rule), message));
  }
}

export function checkCrossFile(index: GovernanceIndex, options: CrossFileOptions = {}): Diagnostic[] {
  const r = new Reporter(options.changed);
  for (const site of index.sites.values()) {
    const seen = new Set<string>();
    (site.data.keys ?? []).forEach((k, i) => {
      if (seen.has(k.id))
        r.at(
          site,
          ["keys", i, "id"],
          "FE223",
          `key id "${k.id}" is listed twice; a signature must name exactly one key`,
        );
      seen.add(k.id);
    });
  }
  for (const folder of index.benchmarks.values()) {
    const benchmark = folder.benchmark;
    if (!benchmark) {
      if (!index.broken.has(paths.benchmark(folder.id))) {
        const any = [...folder.models.values(), ...folder.datasets.values(), ...folder.results.values()][0];
        r.file(
          any?.file ?? paths.benchmark(folder.id),
          "FE221",
          `benchmark folder benchmarks/${folder.id}/ has no benchmark.yaml`,
        );
      }
      continue;
    }
    checkBenchmark(r, index, folder, benchmark);
    for (const model of folder.models.values()) checkModel(r, index, folder, model);
    for (const dataset of folder.datasets.values()) checkDataset(r, index, folder, benchmark, dataset);
    for (const result of folder.results.values()) checkResult(r, index, folder, benchmark, result);
  }
  r.diagnostics.push(...checkPlaceholders(index));
  return r.diagnostics;
}

function checkContainerReference(
  r: Reporter,
  index: GovernanceIndex,
  folder: BenchmarkFolder,
  entry: Entry<unknown>,
  at: PathSegment[],
  ref: ContainerReference,
  role: string,
): void {
  const file = paths.container(folder.id, ref.config);
  if (index.broken.has(file)) return;
  const container = folder.containers.get(ref.config);
  if (!container) {
    r.at(entry, [...at, "config"], "FE204", `container definition ${file} does not exist`);
    return;
  }
  const type = container.definition.containerType;
  if (containerType(type).archive && !ref.archive_sha256) {
    r.at(
      entry,
      at,
      "FE231",
      `${ref.config} is a ${type} (its image is an archive at a URL): declare archive_sha256, the archive's SHA-256`,
    );
  }
  const missing = (ROLE_TASKS[role] ?? []).filter((t) => !container.definition.tasks[t]);
  if (missing.length) {
    r.at(
      entry,
      [...at, "config"],
      "FE218",
      `${ref.config} has no ${missing.join(", ")} task, which a ${role.replace("_", " ")} container needs`,
    );
  }
}

function checkBenchmark(
  r: Reporter,
  index: GovernanceIndex,
  folder: BenchmarkFolder,
  entry: Entry<Benchmark>,
): void {
  const b = entry.data;
  const seen = new Map<string, number>();
  b.metrics.forEach((m, i) => {
    if (seen.has(m.id)) r.at(entry, ["metrics", i, "id"], "FE212", `metric "${m.id}" is declared twice`);
    seen.set(m.id, i);
    if (m.range && m.range[0] >= m.range[1])
      r.at(
        entry,
        ["metrics", i, "range"],
        "FE216",
        `range [${m.range.join(", ")}] is empty: the lower bound must be below the upper`,
      );
  });
  const primaries = b.metrics.map((m, i) => [m, i] as const).filter(([m]) => m.primary);
  if (primaries.length === 0)
    r.at(
      entry,
      ["metrics"],
      "FE211",
      "no metric is marked primary: exactly one metric must have primary: true",
    );
  for (const [m, i] of primaries.slice(1)) {
    r.at(
      entry,
      ["metrics", i, "primary"],
      "FE211",
      `metric "${m.id}" is a second primary metric (the first is "${primaries[0]?.[0].id}"); exactly one may be primary`,
    );
  }
  if (b.drift && !seen.has(b.drift.metric))
    r.at(entry, ["drift", "metric"], "FE213", `drift metric "${b.drift.metric}" is not a declared metric`);
  (b.comparable_with ?? []).forEach((v, i) => {
    if (v >= b.version)
      r.at(
        entry,
        ["comparable_with", i],
        "FE220",
        `comparable_with ${v} must name an earlier version than the current version ${b.version}`,
      );
  });
  if (b.subgroups) {
    const { strata, cells } = b.subgroups;
    for (const stratum of strata.filter((s) => !(s in cells)))
      r.at(
        entry,
        ["subgroups", "cells"],
        "FE227",
        `stratum "${stratum}" has no declared cells in subgroups.cells`,
      );
    for (const stratum of Object.keys(cells).filter((s) => !strata.includes(s)))
      r.at(entry, ["subgroups", "cells", stratum], "FE227", `"${stratum}" is not one of subgroups.strata`, {
        key: true,
      });
  }
  const demoPath = b.demo_dataset?.path;
  if (demoPath !== undefined && !/^demo\/[^/]/.test(demoPath)) {
    r.at(
      entry,
      ["demo_dataset", "path"],
      "FE225",
      `demo data live in benchmarks/${folder.id}/demo/; "${demoPath}" is outside it`,
    );
  }
  for (const role of ["preparation", "reference_model", "evaluator"] as const) {
    checkContainerReference(r, index, folder, entry, ["containers", role], b.containers[role], role);
  }
  checkBenchmarkDecisions(r, folder, entry);
}

/** Every signed decision of a model or dataset verifies, and its status is backed by enough of them. */
function checkDecisions(
  r: Reporter,
  folder: BenchmarkFolder,
  entry: Entry<Model | Dataset>,
  kind: "model" | "dataset",
): void {
  const check = checkStatus(folder, kind, entry.data);
  for (const p of check.count.problems) r.at(entry, ["approvals", p.index, p.field], p.rule, p.message);
  for (const p of check.update?.count.problems ?? [])
    r.at(entry, ["update", "approvals", p.index, p.field], p.rule, p.message);
  if (!check.backed) r.at(entry, ["status"], "FE605", missingDecisions(kind, entry.data.status, check));
}

/** The benchmark's own signed decisions verify (a change needs them: validate/decision-history.ts). */
function checkBenchmarkDecisions(r: Reporter, folder: BenchmarkFolder, entry: Entry<Benchmark>): void {
  const count = countDecisions({
    subject: { benchmark: folder.id, kind: "benchmark", id: folder.id },
    records: entry.data.approvals ?? [],
    members: entry.data.members ?? [],
    content: contentDigest(approvedContent(folder, "benchmark", entry.data)),
    decision: "approve",
    requesters: [],
  });
  for (const p of count.problems) r.at(entry, ["approvals", p.index, p.field], p.rule, p.message);
  const seen = new Set<string>();
  (entry.data.members ?? []).forEach((m, i) => {
    if (seen.has(m.login.toLowerCase()))
      r.at(entry, ["members", i, "login"], "FE223", `committee member ${m.login} is listed twice`);
    seen.add(m.login.toLowerCase());
    const ids = new Set<string>();
    m.keys.forEach((k, j) => {
      if (ids.has(k.id))
        r.at(
          entry,
          ["members", i, "keys", j, "id"],
          "FE223",
          `key id "${k.id}" of ${m.login} is listed twice`,
        );
      ids.add(k.id);
    });
  });
}

function checkModel(r: Reporter, index: GovernanceIndex, folder: BenchmarkFolder, entry: Entry<Model>): void {
  checkContainerReference(r, index, folder, entry, ["container"], entry.data.container, "model");
  if (entry.data.update)
    checkContainerReference(
      r,
      index,
      folder,
      entry,
      ["update", "container"],
      entry.data.update.container,
      "model",
    );
  checkDecisions(r, folder, entry, "model");
}

function checkDataset(
  r: Reporter,
  index: GovernanceIndex,
  folder: BenchmarkFolder,
  benchmark: Entry<Benchmark>,
  entry: Entry<Dataset>,
): void {
  const d = entry.data;
  const b = benchmark.data;
  const siteBroken = index.broken.has(paths.site(d.site)) || index.broken.has("sites");
  if (!index.sites.has(d.site) && !siteBroken) {
    r.at(entry, ["site"], "FE203", `site "${d.site}" is not registered (no sites/${d.site}.yaml)`);
  }
  if (d.prepared_with !== b.containers.preparation.image) {
    r.history(
      entry,
      ["prepared_with"],
      "FE208",
      `prepared with ${d.prepared_with}, but benchmark ${folder.id} v${b.version} prepares with ${b.containers.preparation.image}; re-run \`fedeval dataset prepare\``,
    );
  }
  const allowed = new Set(b.statistics_published ?? []);
  const minCell = b.subgroups?.min_cell ?? 1;
  for (const [key, value] of Object.entries(d.statistics)) {
    if (!allowed.has(key)) {
      r.at(
        entry,
        ["statistics", key],
        "FE214",
        `statistic "${key}" is not in the benchmark's statistics_published; it must stay at the site`,
        { key: true },
      );
      continue;
    }
    if (typeof value !== "object") continue;
    const declared = b.subgroups?.cells[key];
    for (const [category, n] of Object.entries(value)) {
      if (declared && !declared.includes(category))
        r.at(
          entry,
          ["statistics", key, category],
          "FE227",
          `"${category}" is not a declared cell of stratum ${key}`,
          { key: true },
        );
      else if (n > 0 && n < minCell)
        r.at(
          entry,
          ["statistics", key, category],
          "FE215",
          `${key}.${category} = ${n} is under the minimum cell count ${minCell}: it must stay at the site`,
        );
    }
  }
  const metricIds = new Set(b.metrics.map((m) => m.id));
  for (const key of Object.keys(d.reference_result ?? {})) {
    if (!metricIds.has(key))
      r.at(entry, ["reference_result", key], "FE213", `"${key}" is not a metric of benchmark ${folder.id}`, {
        key: true,
      });
  }
  checkDecisions(r, folder, entry, "dataset");
}

function checkMetricValues(
  r: Reporter,
  entry: Entry<Result>,
  at: PathSegment[],
  metrics: Record<string, MetricValue>,
  /** Cases of the result or subgroup cell. */
  n: number,
  benchmark: Benchmark,
  requireAll: boolean,
): void {
  const declared = new Map(benchmark.metrics.map((m) => [m.id, m]));
  for (const [id, value] of Object.entries(metrics)) {
    const spec = declared.get(id);
    if (!spec) {
      r.at(entry, [...at, id], "FE207", `metric "${id}" is not declared by benchmark ${benchmark.id}`, {
        key: true,
      });
      continue;
    }
    if (value.value === null) continue;
    const digits = precisionOf(spec);
    for (const [field, x] of realsOf(value)) {
      if (roundToPrecision(x, digits) !== x) {
        r.at(
          entry,
          [...at, id, field],
          "FE230",
          `${id}.${field} ${x} has more than the ${digits} significant digits the benchmark declares for ${id}; round it (fedeval run does)`,
        );
        break;
      }
    }
    if (spec.range && (value.value < spec.range[0] || value.value > spec.range[1])) {
      r.at(
        entry,
        [...at, id, "value"],
        "FE216",
        `${id} = ${value.value} is outside its declared range [${spec.range.join(", ")}]`,
      );
    }
    const gap = requireAll ? poolingGap(spec, value) : undefined;
    if (gap) r.at(entry, [...at, id, ...gap.field], "FE222", gap.message);
    const h = value.histogram;
    if (h) {
      for (const side of ["positive", "negative"] as const) {
        if (h[side].length !== h.bins)
          r.at(
            entry,
            [...at, id, "histogram", side],
            "FE222",
            `${id} histogram.${side} has ${h[side].length} counts for ${h.bins} bins`,
          );
      }
    }
    const disagreement = metricDisagreement(spec, value, n);
    if (disagreement) r.at(entry, [...at, id, "value"], "FE226", disagreement.detail);
    if (value.ci && value.ci[0] > value.ci[1])
      r.at(
        entry,
        [...at, id, "ci"],
        "FE222",
        `${id} interval [${value.ci.join(", ")}] has its bounds reversed`,
      );
  }
  if (requireAll) {
    const missing = benchmark.metrics.filter((m) => !(m.id in metrics)).map((m) => m.id);
    if (missing.length)
      r.at(
        entry,
        at,
        "FE207",
        `missing declared metric${missing.length > 1 ? "s" : ""} ${missing.join(", ")} (use value: null with a reason when a metric cannot be computed)`,
      );
  }
}

function checkResult(
  r: Reporter,
  index: GovernanceIndex,
  folder: BenchmarkFolder,
  benchmarkEntry: Entry<Benchmark>,
  entry: Entry<Result>,
): void {
  const res = entry.data;
  const b = benchmarkEntry.data;
  const model = folder.models.get(res.model);
  const dataset = folder.datasets.get(res.dataset);
  if (!model && !index.broken.has(paths.model(folder.id, res.model))) {
    r.at(entry, ["model"], "FE201", `model "${res.model}" is not a model of benchmark ${folder.id}`);
  }
  if (!dataset && !index.broken.has(paths.dataset(folder.id, res.dataset))) {
    r.at(entry, ["dataset"], "FE202", `dataset "${res.dataset}" is not a dataset of benchmark ${folder.id}`);
  }
  for (const [what, assoc] of [
    ["model", model],
    ["dataset", dataset],
  ] as const) {
    if (!assoc || assoc.data.status === "approved") continue;
    if (assoc.data.status === "proposed")
      r.at(entry, [what], "FE205", `${what} "${assoc.data.id}" is not approved (status: proposed)`);
    else
      r.history(
        entry,
        [what],
        "FE205",
        `${what} "${assoc.data.id}" is ${assoc.data.status}; its results are kept for history and not ranked`,
      );
  }
  if (res.benchmark.version > b.version) {
    r.at(
      entry,
      ["benchmark", "version"],
      "FE210",
      `benchmark ${folder.id} has no version ${res.benchmark.version} (current: ${b.version})`,
    );
  }
  const current = res.benchmark.version === b.version;
  checkMetricValues(r, entry, ["metrics"], res.metrics, res.n, b, current);
  if (current) {
    const images = res.provenance.images;
    const expected: [keyof typeof images, string | undefined, string][] = [
      ["model", model?.data.container.image, `model ${res.model}`],
      ["evaluator", b.containers.evaluator.image, "the benchmark's evaluator"],
      ["preparation", b.containers.preparation.image, "the benchmark's preparation"],
    ];
    for (const [key, want, what] of expected) {
      if (want && images[key] !== want) {
        r.history(
          entry,
          ["provenance", "images", key],
          "FE206",
          `image ${images[key]} is not the approved image of ${what} (${want})`,
        );
      }
    }
    const files = res.provenance.additional_files;
    const declared: ["model" | "evaluator", string | undefined, string][] = [
      ["model", model?.data.container.additional_files?.sha256, `model ${res.model}`],
      ["evaluator", b.containers.evaluator.additional_files?.sha256, "the benchmark's evaluator"],
    ];
    for (const [key, want, what] of declared) {
      if (model && files?.[key] !== want) {
        r.history(
          entry,
          files?.[key] ? ["provenance", "additional_files", key] : ["provenance"],
          "FE206",
          want
            ? `ran with ${files?.[key] ? `additional files ${files[key]}` : "no additional files"}, not the approved additional files of ${what} (${want})`
            : `ran with additional files ${files?.[key]}, but ${what} declares none`,
        );
      }
    }
    if (dataset && res.provenance.dataset_hash !== dataset.data.hash) {
      r.history(
        entry,
        ["provenance", "dataset_hash"],
        "FE209",
        `dataset hash differs from the registered hash of ${res.dataset} (${dataset.data.hash}); the data changed since registration`,
      );
    }
  }
  if (b.policy.isolation_required && res.provenance.isolation === "none") {
    r.at(
      entry,
      ["provenance", "isolation"],
      "FE217",
      `benchmark ${folder.id} requires isolation; results from the process runner (isolation: none) are refused`,
    );
  }
  checkSubgroups(r, entry, b);
  const { started_at, finished_at } = res.provenance;
  if (Date.parse(finished_at) < Date.parse(started_at))
    r.at(
      entry,
      ["provenance", "finished_at"],
      "FE224",
      `finished_at ${finished_at} is before started_at ${started_at}`,
    );
  if (res.approval && Date.parse(res.approval.at) < Date.parse(finished_at))
    r.at(
      entry,
      ["approval", "at"],
      "FE224",
      `approved at ${res.approval.at}, before the run finished (${finished_at})`,
    );
  if (dataset) {
    const site = index.sites.get(dataset.data.site);
    if (site) {
      const check = checkResultSignature(res, site.data);
      if (!check.ok) r.at(entry, check.at.split("."), check.rule, check.message);
    }
  }
}

function checkSubgroups(r: Reporter, entry: Entry<Result>, b: Benchmark): void {
  const strata = new Set(b.subgroups?.strata ?? []);
  const minCell = b.subgroups?.min_cell ?? 1;
  (entry.data.subgroups ?? []).forEach((cell, i) => {
    if (!strata.has(cell.stratum)) {
      r.at(
        entry,
        ["subgroups", i, "stratum"],
        "FE215",
        `stratum "${cell.stratum}" is not declared by benchmark ${b.id}`,
      );
      return;
    }
    if (!b.subgroups?.cells[cell.stratum]?.includes(cell.cell)) {
      r.at(
        entry,
        ["subgroups", i, "cell"],
        "FE227",
        `"${cell.cell}" is not a declared cell of stratum ${cell.stratum}`,
      );
      return;
    }
    if (cell.suppressed) return;
    if (cell.n < minCell) {
      r.at(
        entry,
        ["subgroups", i, "n"],
        "FE215",
        `cell ${cell.stratum}=${cell.cell} has n = ${cell.n}, under the minimum cell count ${minCell}: it must be suppressed`,
      );
    }
    checkMetricValues(r, entry, ["subgroups", i, "metrics"], cell.metrics, cell.n, b, false);
  });
}
