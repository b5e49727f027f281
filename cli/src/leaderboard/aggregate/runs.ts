/**
 * Which results count on a benchmark's leaderboard, and which run of a site counts:
 * - a result's signature must verify against a key of its dataset's site; unsigned and failing
 *   results are left out and counted (`--allow-unsigned` keeps them, marked unverified);
 * - only results of the current benchmark version and the versions it declares `comparable_with`,
 *   computed with what the repository approves now (the model's image, the dataset's hash and
 *   preparation image, and for the current version the evaluator image): a stale result is left
 *   out until the site's next run replaces it (earlier versions in git still feed drift);
 * - the dataset must be approved; the model approved, suspended or withdrawn;
 * - a site counts once per model: its latest run (by `finished_at`). Earlier runs — results on
 *   the site's older datasets, and earlier versions of result files in git — feed drift only.
 */
import { classifyPath } from "../../governance/layout.ts";
import type { BenchmarkFolder, GovernanceIndex } from "../../governance/loader.ts";
import type { Benchmark, Result } from "../../governance/types.ts";
import { checkResultSignature } from "../../results/signature.ts";
import { staleness } from "../../results/staleness.ts";
import {
  EXCLUSION_REASONS,
  type ExclusionReason,
  type ResultCounts,
  type SignatureStatus,
} from "../types.ts";
import { compareText } from "./compare.ts";

/** An earlier version of a result file, from git history. */
export interface HistoricResult {
  file: string;
  commit: string;
  data: Result;
}

/** A result that passed every check, with where it came from. */
export interface Run {
  result: Result;
  file: string;
  /** The commit it was read at, from git history; null for the work tree's file. */
  commit: string | null;
  site: string;
  signature: SignatureStatus;
  signatureDetail: string | null;
}

/** Runs by model, then by site. */
export type RunsBySite<T> = Map<string, Map<string, T>>;

/** Why a result is left out. */
interface Exclusion {
  reason: ExclusionReason;
  detail: string;
}

/** The benchmark the results are admitted to, and how strictly. */
export interface AdmissionContext {
  index: GovernanceIndex;
  folder: BenchmarkFolder;
  benchmark: Benchmark;
  /** The current version and those it declares comparable. */
  comparable: ReadonlySet<number>;
  allowUnsigned: boolean;
}

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

/** Checks one result; returns why it is left out, or the run. `commit`: from git history. */
function admit(ctx: AdmissionContext, result: Result, file: string, commit: string | null): Run | Exclusion {
  const { folder, benchmark: b, comparable } = ctx;
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
        evaluator: result.benchmark.version === b.version ? b.containers.evaluator.image : p.images.evaluator,
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
  const { status, detail } = signatureOf(ctx.index, folder, result);
  if (status !== "verified" && !ctx.allowUnsigned) {
    return { reason: status === "unsigned" ? "unsigned" : "signature-invalid", detail: detail ?? status };
  }
  return { result, file, commit, site: dataset.data.site, signature: status, signatureDetail: detail };
}

/**
 * Every admitted run of the benchmark's result files and of their earlier versions in git, by
 * model then site; the counts of what was left out and why (unreadable files included). The
 * other counts start at zero.
 */
export function admitRuns(
  ctx: AdmissionContext,
  history: readonly HistoricResult[],
): { counts: ResultCounts; runs: RunsBySite<Run[]> } {
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
  for (const file of ctx.index.broken) {
    const where = classifyPath(file);
    if (where.kind === "result" && where.benchmark === ctx.folder.id)
      exclude(file, "unreadable", "the file did not load; `fedeval validate` says why");
  }
  const runs: RunsBySite<Run[]> = new Map();
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
  for (const entry of ctx.folder.results.values()) {
    const admitted = admit(ctx, entry.data, entry.file, null);
    if ("reason" in admitted) exclude(entry.file, admitted.reason, admitted.detail);
    else addRun(admitted);
  }
  for (const h of history) {
    if (h.data.benchmark.id !== ctx.folder.id) continue;
    const admitted = admit(ctx, h.data, h.file, h.commit);
    if (!("reason" in admitted)) addRun(admitted);
  }
  counts.excluded_files.sort((x, y) => compareText(x.file, y.file));
  return { counts, runs };
}

/** A site's runs deduplicated (a committed file equals its work-tree copy) and oldest first. */
function series(list: readonly Run[]): Run[] {
  const unique = new Map<string, Run>();
  for (const run of list) {
    const p = run.result.provenance;
    const key = `${run.result.dataset}|${run.result.benchmark.version}|${p.started_at}|${p.finished_at}`;
    const seen = unique.get(key);
    if (!seen || (seen.commit !== null && run.commit === null)) unique.set(key, run);
  }
  return [...unique.values()].sort(
    (x, y) =>
      Date.parse(x.result.provenance.finished_at) - Date.parse(y.result.provenance.finished_at) ||
      compareText(x.file, y.file) ||
      compareText(x.commit ?? "", y.commit ?? ""),
  );
}

/**
 * Per model and site: the runs in time order (drift), the latest run of the work tree (the one
 * that counts), and how many earlier runs there are.
 */
export function siteRuns(runs: RunsBySite<Run[]>): {
  latest: RunsBySite<Run>;
  ordered: RunsBySite<Run[]>;
  earlier: number;
} {
  const latest: RunsBySite<Run> = new Map();
  const ordered: RunsBySite<Run[]> = new Map();
  let earlier = 0;
  for (const [model, bySite] of runs) {
    const latestBySite = new Map<string, Run>();
    const orderedBySite = new Map<string, Run[]>();
    for (const [site, list] of bySite) {
      const runsOfSite = series(list);
      orderedBySite.set(site, runsOfSite);
      const current = runsOfSite.filter((r) => r.commit === null).at(-1);
      if (current) latestBySite.set(site, current);
      earlier += runsOfSite.length - (current ? 1 : 0);
    }
    latest.set(model, latestBySite);
    ordered.set(model, orderedBySite);
  }
  return { latest, ordered, earlier };
}
