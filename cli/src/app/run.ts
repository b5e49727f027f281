/**
 * `fedeval run` (and the action's run mode): runs the site's plan and holds every result in the
 * outbox (site/run.ts). Nothing leaves the machine.
 *
 * Privacy: the report and the logger lines name triples, statuses, counts, outbox entry ids and
 * log files; never a metric value, a statistic or a container's output.
 */
import { resolve } from "node:path";
import type Docker from "dockerode";
import type { Logger } from "../base/logger.ts";
import { workspace } from "../base/workspace.ts";
import type { ExecutorKind } from "../site/executors.ts";
import { type Exec, execText } from "../site/hardware.ts";
import { type RunReport, runSite, type TripleOutcome, type TripleStatus } from "../site/run.ts";
import {
  createRunner,
  dockerClient,
  type LimitFlags,
  type RunnerKind,
  removeLeftoverContainers,
  siteLimits,
} from "../site/runners.ts";
import { loadSiteGovernance, type RemoteCheck } from "../site/site-governance.ts";
import { requireSlurm, type SlurmOptions } from "../site/slurm.ts";

export { executorKind } from "../site/executors.ts";
export type { TripleOutcome } from "../site/run.ts";
export type { LimitFlags, RunnerKind } from "../site/runners.ts";
export { runnerKind } from "../site/runners.ts";

export interface SiteRunRequest extends LimitFlags {
  site: string;
  /** Governance repository root, relative to `cwd`. */
  root: string;
  /** Only this benchmark's triples. */
  benchmark?: string;
  /** Only this model's triples. */
  model?: string;
  /** Warn when the clone is behind its remote (`check`), or fetch and fast-forward it first (`fetch`); default neither. */
  remote?: RemoteCheck;
  runner: RunnerKind;
  /** A failed model gives a partial result instead of none. */
  ignoreModelErrors?: boolean;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Warnings (isolation, leftovers of a killed run, blocked datasets) and progress. */
  logger: Logger;
  /** Default: a client of DOCKER_HOST, loaded only for the docker runner. */
  docker?: Docker;
  /** How many triples run at once (default 1); with `--gpus device=...`, each gets its own devices. */
  parallel?: number;
  /** Only this triple (`benchmark/dataset/model`), under its own lock: what a Slurm job runs. */
  triple?: string;
  /** Where triples run: here (default), or as Slurm jobs. */
  executor?: ExecutorKind;
  /** With the slurm executor: partition, GPUs and time limit per job, and whether to follow the jobs. */
  slurm?: { partition?: string; gpusPerJob?: number; time?: string; wait?: boolean };
  /** The command that starts fedeval (`node .../fedeval.js`), for the jobs the slurm executor submits. */
  fedeval?: string[];
  /** Runs sbatch, squeue, scancel (slurm executor); default: the programs on PATH. */
  exec?: Exec;
  /** Aborting stops the running container and starts no further triple (cancels the Slurm jobs). */
  signal?: AbortSignal;
  /** Called as each triple ends, with how many ended before it (for progress output). */
  onTriple?: (outcome: TripleOutcome, index: number, total: number) => void;
}

export interface SiteRunReport extends RunReport {
  /** How many triples ended with each status. */
  counts: Record<TripleStatus, number>;
  /** The outbox entries this run wrote (ok and partial triples), pending approval. */
  entries: string[];
}

/** Runs the site's plan; throws only for what stops every triple (lock, git, Docker Engine). */
export async function runSitePlan(req: SiteRunRequest): Promise<SiteRunReport> {
  const limits = siteLimits(req);
  const ws = workspace(req.env, req.cwd);
  const slurm = req.executor === "slurm" ? await slurmOptions(req, ws.home) : undefined;
  // dockerode loads while the governance files are read
  const [index, docker] = await Promise.all([
    loadSiteGovernance(req.root, req.cwd, req.logger, req.remote),
    req.runner === "docker" ? (req.docker ?? dockerClient()) : undefined,
  ]);
  const runner = await createRunner(req.runner, { home: ws.home, cwd: req.cwd, env: req.env, docker });
  const site = ws.site(req.site);
  if (runner.isolation === "none") {
    req.logger.warn(
      "the process runner gives models no isolation (network, files): use it for development only; its results say isolation: none",
    );
  }
  const report = await runSite({
    index,
    site: req.site,
    benchmark: req.benchmark,
    model: req.model,
    runner,
    limits,
    ignoreModelErrors: req.ignoreModelErrors,
    workspace: site,
    logger: req.logger,
    env: req.env,
    signal: req.signal,
    parallel: req.parallel,
    removeLeftovers:
      docker && !slurm ? (which) => removeLeftoverContainers(docker, site.root, which) : undefined,
    triple: req.triple,
    slurm,
    onTriple: req.onTriple,
  });
  if (report.leftoversRemoved) {
    req.logger.warn(`removed ${report.leftoversRemoved} container(s) left by a run that was killed`);
  }
  if (report.tookOverLockFrom !== undefined) {
    req.logger.warn(`took over the lock of an earlier run that is gone (pid ${report.tookOverLockFrom})`);
  }
  for (const b of report.plan.blocked)
    req.logger.warn(`dataset ${b.dataset} of ${b.benchmark} cannot run: ${b.reason}`);
  const counts: Record<TripleStatus, number> = { ok: 0, partial: 0, failed: 0, interrupted: 0, submitted: 0 };
  for (const o of report.outcomes) counts[o.status]++;
  const entries = report.outcomes.flatMap((o) => (o.entry ? [o.entry] : []));
  return { ...report, counts, entries };
}

/**
 * The Slurm executor's options: each job runs this same request as `fedeval run --triple ID`
 * (with the site's runner and limits), in the same governance clone and FEDEVAL_HOME (sbatch
 * exports the environment), which must be on storage the compute nodes share.
 */
async function slurmOptions(req: SiteRunRequest, home: string): Promise<SlurmOptions> {
  const exec = req.exec ?? execText;
  await requireSlurm(exec);
  if (!req.fedeval?.length) throw new Error("the slurm executor needs the command that starts fedeval");
  const command = [
    ...req.fedeval,
    "run",
    "--site",
    req.site,
    "--root",
    resolve(req.cwd, req.root),
    "--runner",
    req.runner,
  ];
  const flags: [string, string | undefined][] = [
    ["--benchmark", req.benchmark],
    ["--model", req.model],
    ["--shm-size", req.shmSize],
    ["--memory", req.memory],
    ["--timeout", req.timeout],
    ["--max-output", req.maxOutput],
    ["--gpus", req.slurm?.gpusPerJob ? undefined : req.gpus],
  ];
  for (const [flag, value] of flags) if (value !== undefined) command.push(flag, value);
  if (req.ignoreModelErrors) command.push("--ignore-model-errors");
  return {
    command,
    home,
    partition: req.slurm?.partition,
    gpusPerJob: req.slurm?.gpusPerJob,
    time: req.slurm?.time,
    wait: req.slurm?.wait ?? false,
    exec,
  };
}
