/**
 * `fedeval run` (and the action's run mode): runs the site's plan and holds every result in the
 * outbox (site/run.ts). Nothing leaves the machine.
 *
 * Privacy: the report and the logger lines name triples, statuses, counts, outbox entry ids and
 * log files; never a metric value, a statistic or a container's output.
 */
import type Docker from "dockerode";
import type { Logger } from "../base/logger.ts";
import { workspace } from "../base/workspace.ts";
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
  /** Aborting stops the running container and starts no further triple. */
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
    removeLeftovers: docker ? () => removeLeftoverContainers(docker, site.root) : undefined,
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
  const counts: Record<TripleStatus, number> = { ok: 0, partial: 0, failed: 0, interrupted: 0 };
  for (const o of report.outcomes) counts[o.status]++;
  const entries = report.outcomes.flatMap((o) => (o.entry ? [o.entry] : []));
  return { ...report, counts, entries };
}
