/**
 * What a site should run (`fedeval plan`, and the first step of `fedeval run`): every approved
 * model × every approved dataset of the site, per benchmark, that has no result in the governance
 * repository or a stale one, unless the site's outbox already holds a result for the same inputs
 * (so a run that was stopped resumes where it stopped), or one was sent and its pull request is
 * not merged yet (so nothing is submitted twice).
 *
 * A result is stale when what it ran with is no longer what the repository approves: the
 * benchmark's version was bumped, the model's or the evaluator's image changed, the dataset was
 * prepared again (another preparation image or hash).
 *
 * A dataset can only run where it was prepared, with the benchmark's current preparation image,
 * and unchanged since its registration; otherwise its triples are `blocked`, with what to do.
 *
 * Order: benchmarks by id; within a benchmark by model priority — `declared` (the default): the
 * model's `priority`, higher first; `fifo`: the order in which models were added to the repository
 * (from git history) — then by model id and dataset id.
 */

import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { UserError } from "../base/errors.ts";
import { gitText } from "../base/git.ts";
import type { SiteWorkspace } from "../base/workspace.ts";
import type { BenchmarkFolder, GovernanceIndex } from "../governance/loader.ts";
import type { ContainerReference, Dataset, Model } from "../governance/types.ts";
import type { OutboxEntry } from "../results/outbox.ts";
import { staleness, type TripleInputs } from "../results/staleness.ts";
import { readLocalDataset } from "./prepare.ts";
import { requireSite } from "./site-governance.ts";

export interface PlannedTriple {
  benchmark: string;
  model: string;
  dataset: string;
  /** Why it runs: `no result`, or what changed since the current result. */
  reasons: string[];
  inputs: TripleInputs;
}

export interface WaitingTriple {
  benchmark: string;
  model: string;
  dataset: string;
  /** The outbox entry holding its result. */
  entry: string;
  state: OutboxEntry["state"];
  /** For a submitted result: its pull request (or branch), not merged yet. */
  pullRequest?: string;
}

export interface BlockedDataset {
  benchmark: string;
  dataset: string;
  /** Approved models that cannot run on it until this is fixed. */
  models: number;
  reason: string;
}

/** A model or one of the site's datasets that does not run yet because it is not approved. */
export interface PendingAssociation {
  benchmark: string;
  kind: "model" | "dataset";
  id: string;
  /** Its status in the repository; `unregistered` for a dataset prepared here that the repository lacks. */
  status: "proposed" | "rejected" | "suspended" | "withdrawn" | "unregistered";
  /** What it waits for, or what to do. */
  reason: string;
}

export interface Plan {
  site: string;
  triples: PlannedTriple[];
  waiting: WaitingTriple[];
  blocked: BlockedDataset[];
  /** Models and datasets that would add triples once approved (or registered). */
  pending: PendingAssociation[];
  /** Triples whose result in the repository is current. */
  current: number;
  /** Notes about the order (e.g. fifo without git history). */
  notes: string[];
}

export interface PlanRequest {
  index: GovernanceIndex;
  site: string;
  workspace: SiteWorkspace;
  /** The site's outbox entries (pending, approved, submitted), and the sent ones (Outbox.listWithSent). */
  outbox: OutboxEntry[];
  benchmark?: string;
  model?: string;
  /** When each model file was added, for `fifo` order; default: from git history. */
  modelsAddedAt?: (root: string, benchmark: string) => Promise<Map<string, number> | undefined>;
}

export async function planSite(req: PlanRequest): Promise<Plan> {
  const { index, site } = req;
  requireSite(index, site);
  if (req.benchmark !== undefined && !index.benchmarks.get(req.benchmark)?.benchmark) {
    throw new UserError(`no benchmark "${req.benchmark}" in the governance repository`);
  }
  const plan: Plan = { site, triples: [], waiting: [], blocked: [], pending: [], current: 0, notes: [] };
  const folders = [...index.benchmarks.values()]
    .filter((f) => f.benchmark && (req.benchmark === undefined || f.id === req.benchmark))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  for (const folder of folders) await planBenchmark(req, folder, plan);
  return plan;
}

async function planBenchmark(req: PlanRequest, folder: BenchmarkFolder, plan: Plan): Promise<void> {
  const benchmark = folder.benchmark?.data;
  if (!benchmark) return;
  const allModels = [...folder.models.values()]
    .map((e) => e.data)
    .filter((m) => req.model === undefined || m.id === req.model)
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  const models = allModels.filter((m) => m.status === "approved");
  const siteDatasets = [...folder.datasets.values()]
    .map((e) => e.data)
    .filter((d) => d.site === req.site)
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  const datasets = siteDatasets.filter((d) => d.status === "approved");
  await listPending(req, folder.id, allModels, siteDatasets, plan);
  if (!models.length || !datasets.length) return;

  const order = await modelOrder(req, folder, plan);
  models.sort((a, b) => order(a.id, a.priority) - order(b.id, b.priority) || (a.id < b.id ? -1 : 1));

  const runnable = [];
  for (const dataset of datasets) {
    const blocked = (reason: string) =>
      plan.blocked.push({ benchmark: folder.id, dataset: dataset.id, models: models.length, reason });
    const local = await readLocalDataset(req.workspace, folder.id, dataset.id);
    if (!local) {
      blocked(
        `not prepared in this workspace: run \`fedeval dataset prepare --benchmark ${folder.id} --site ${req.site} --name ${dataset.id} ...\` on this machine`,
      );
    } else if (dataset.prepared_with !== benchmark.containers.preparation.image) {
      blocked(
        "registered with another preparation image than the benchmark's current one: prepare the data again and register the new hash",
      );
    } else if (local.association.hash !== dataset.hash) {
      blocked(
        `the data prepared here (${local.association.hash}) is not the registered dataset (${dataset.hash})`,
      );
    } else runnable.push(dataset);
  }

  for (const model of models) {
    for (const dataset of runnable) {
      const inputs: TripleInputs = {
        benchmark_version: benchmark.version,
        images: {
          model: model.container.image,
          evaluator: benchmark.containers.evaluator.image,
          preparation: dataset.prepared_with,
        },
        ...additionalFilesOf(model.container, benchmark.containers.evaluator),
        dataset_hash: dataset.hash,
      };
      const ids = { benchmark: folder.id, model: model.id, dataset: dataset.id };
      const result = folder.results.get(`${dataset.id}/${model.id}`)?.data;
      const reasons = result ? staleness(result, inputs) : ["no result"];
      if (!reasons.length) {
        plan.current++;
        continue;
      }
      const entry = req.outbox.find((e) => e.site === req.site && sameInputs(e.result, ids, inputs));
      const pullRequest = entry?.submission && (entry.submission.pr_url ?? entry.submission.branch);
      if (entry)
        plan.waiting.push({
          ...ids,
          entry: entry.id,
          state: entry.state,
          ...(pullRequest && { pullRequest }),
        });
      else plan.triples.push({ ...ids, reasons, inputs });
    }
  }
}

const WAITS_FOR = {
  proposed:
    "waits for the committee's approval (status: proposed; a committee member approves it with `fedeval approve`)",
  rejected: "rejected by the committee: never run",
  suspended: "suspended by the committee: no new results",
  withdrawn: "withdrawn: no new results",
} as const;

/** Models and the site's datasets that are not approved, and datasets prepared here but never registered. */
async function listPending(
  req: PlanRequest,
  benchmark: string,
  models: Model[],
  datasets: Dataset[],
  plan: Plan,
): Promise<void> {
  for (const [kind, list] of [
    ["model", models],
    ["dataset", datasets],
  ] as const) {
    for (const { id, status } of list) {
      if (status !== "approved")
        plan.pending.push({ benchmark, kind, id, status, reason: WAITS_FOR[status] });
    }
  }
  const registered = new Set(datasets.map((d) => d.id));
  const prepared = await readdir(join(req.workspace.datasets, benchmark)).catch(() => [] as string[]);
  for (const id of prepared.sort()) {
    if (registered.has(id) || !(await readLocalDataset(req.workspace, benchmark, id))) continue;
    plan.pending.push({
      benchmark,
      kind: "dataset",
      id,
      status: "unregistered",
      reason: `prepared here but not in the governance repository: propose it with \`fedeval dataset register --benchmark ${benchmark} --site ${req.site} --name ${id}\`, or pull the clone if its pull request was merged`,
    });
  }
}

function sameInputs(
  result: OutboxEntry["result"],
  ids: { benchmark: string; model: string; dataset: string },
  inputs: TripleInputs,
): boolean {
  return (
    result.benchmark.id === ids.benchmark &&
    result.model === ids.model &&
    result.dataset === ids.dataset &&
    staleness(result, inputs).length === 0
  );
}

/** A sort key per model: lower runs first. */
async function modelOrder(
  req: PlanRequest,
  folder: BenchmarkFolder,
  plan: Plan,
): Promise<(id: string, priority: number | undefined) => number> {
  if (folder.benchmark?.data.policy.model_priority !== "fifo") return (_id, priority) => -(priority ?? 0);
  const added = await (req.modelsAddedAt ?? modelsAddedAt)(req.index.root, folder.id);
  if (!added) {
    plan.notes.push(
      `benchmark ${folder.id} runs models first come, first served, but the governance repository has no git history: models run in id order`,
    );
    return () => 0;
  }
  return (id) => added.get(id) ?? Number.MAX_SAFE_INTEGER;
}

/** Commit time (seconds) at which each model file was first added, from git; undefined without git. */
export async function modelsAddedAt(
  root: string,
  benchmark: string,
): Promise<Map<string, number> | undefined> {
  let log: string;
  try {
    log = await gitText(root, [
      "log",
      "--diff-filter=A",
      "--format=%x00%ct",
      "--name-only",
      "--relative",
      "--",
      `benchmarks/${benchmark}/models/`,
    ]);
  } catch {
    return undefined;
  }
  const added = new Map<string, number>();
  for (const block of log.split("\0").filter(Boolean)) {
    const [time, ...files] = block.split("\n").filter(Boolean);
    for (const file of files) {
      const id = /\/models\/([^/]+)\.yaml$/.exec(file)?.[1];
      // git log lists newest first: the last time seen is the first addition
      if (id) added.set(id, Number(time));
    }
  }
  return added;
}

/** The SHA-256 of the model's and the evaluator's additional files, as a result records them. */
export function additionalFilesOf(
  model: ContainerReference,
  evaluator: ContainerReference,
): Pick<TripleInputs, "additional_files"> {
  const files = {
    ...(model.additional_files && { model: model.additional_files.sha256 }),
    ...(evaluator.additional_files && { evaluator: evaluator.additional_files.sha256 }),
  };
  return Object.keys(files).length ? { additional_files: files } : {};
}
